// kube-apiserver's etcd key layout: /registry/<resource>/[<namespace>/]<name>, groups as <group>/<resource>.
export interface ObjectKey {
  resource: string;
  namespace?: string;
  name: string;
}

const TWO_SEGMENT = new Set(['services']); // services/specs, services/endpoints

export function parseRegistryKey(key: string, prefix = '/registry/'): ObjectKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split('/');
  const width = parts[0]?.includes('.') || TWO_SEGMENT.has(parts[0] ?? '') ? 2 : 1;
  if (parts.length <= width) return undefined;
  const resource = parts.slice(0, width).join('/');
  const rest = parts.slice(width);
  if (rest.length === 2) return { resource, namespace: rest[0]!, name: rest[1]! };
  return { resource, name: rest.join('/') };
}

export function describeKey(k: ObjectKey): string {
  return `${k.resource} ${k.namespace ? `${k.namespace}/` : ''}${k.name}`;
}
