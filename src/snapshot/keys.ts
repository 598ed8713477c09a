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
  if (parts.length <= width || parts[parts.length - 1] === '') return undefined;
  const resource = parts.slice(0, width).join('/');
  const rest = parts.slice(width);
  if (rest.length === 2) return { resource, namespace: rest[0]!, name: rest[1]! };
  return { resource, name: rest.join('/') };
}

/** Hot-path variant of parseRegistryKey for counting: [resource, namespace?] with indexOf only. */
export function splitRegistryKey(key: string, prefix: string): [string, string | undefined] | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const p = prefix.length;
  let end = key.indexOf('/', p);
  if (end < 0) return undefined;
  const first = key.slice(p, end);
  if (first.includes('.') || TWO_SEGMENT.has(first)) {
    end = key.indexOf('/', end + 1);
    if (end < 0) return undefined;
  }
  const resource = key.slice(p, end);
  const slash = key.indexOf('/', end + 1);
  if (slash < 0) return end + 1 < key.length ? [resource, undefined] : undefined;
  return key.indexOf('/', slash + 1) < 0 ? [resource, key.slice(end + 1, slash)] : [resource, undefined];
}
