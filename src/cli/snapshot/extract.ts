// `lifeboat snapshot extract FILE --kind KIND [--namespace NS] [--name NAME] [--clean] [-o yaml|json]`.
import { parse, oneOf } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { present, toJson, toYaml } from '../../k8s/present.js';
import { KINDS, kindByName } from '../../k8s/schema/index.js';
import { decodeStoredValue, objectOf } from '../../k8s/value.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { ENC_FLAG, keysFrom, out, revFlag, warn } from './common.js';

/** --kind: a known kind or resource (Deployment, deployments), or a storage path like example.com/widgets. */
function resourceFor(kind: string): { resource: string; namespaced: boolean | undefined } {
  const k = kindByName(kind);
  if (k) return { resource: k.resource, namespaced: k.namespaced };
  if (kind.includes('/') || kind.includes('.'))
    return { resource: kind.replace(/^\/+|\/+$/g, ''), namespaced: undefined };
  throw usage(
    `snapshot extract: unknown --kind '${kind}'`,
    `use one of ${KINDS.map((x) => x.kind).join(', ')}, or GROUP/PLURAL for custom resources`,
  );
}

export function runExtract(argv: string[]): number {
  const opts = {
    kind: { type: 'string' },
    namespace: { type: 'string', short: 'n' },
    name: { type: 'string' },
    clean: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    rev: { type: 'string' },
    prefix: { type: 'string' },
    ...ENC_FLAG,
  } as const;
  const { values: v, positionals: p } = parse('snapshot extract', argv, opts);
  if (p.length !== 1 || !v.kind)
    throw usage(
      'snapshot extract: give FILE and --kind',
      'lifeboat snapshot extract FILE --kind KIND [--namespace NS] [--name NAME] [--clean]',
    );
  const fmt = oneOf('snapshot extract', 'output', v.output, ['yaml', 'json'] as const, 'yaml');
  const rev = revFlag('snapshot extract', v.rev);
  const keys = keysFrom(v['encryption-config']);
  const { resource, namespaced } = resourceFor(v.kind);
  if (namespaced === false && v.namespace)
    throw usage(`snapshot extract: ${v.kind} is cluster-scoped; drop --namespace`);
  const base = `${v.prefix ?? '/registry/'}${resource}/`;
  const prefix = base + (v.namespace ? `${v.namespace}/` : '');
  const s = Snapshot.open(p[0]!);
  const items: Record<string, unknown>[] = [];
  let skipped = 0;
  let owned = 0;
  try {
    const state = s.state({ ...(rev ? { rev } : {}), prefix, values: true });
    for (const hit of [...state.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      const rest = hit.key.slice(base.length).split('/');
      if (v.name && rest[rest.length - 1] !== v.name) continue;
      if (namespaced === true && rest.length !== 2) continue;
      const val = decodeStoredValue(hit.value!, {
        modRevision: hit.modRevision,
        key: hit.key,
        ...(keys ? { keys } : {}),
      });
      const obj = objectOf(val);
      if (!obj || (val.format === 'protobuf' && !val.typed)) {
        skipped++;
        warn(
          `${hit.key}: skipped, ${val.format === 'encrypted' ? val.note : val.format === 'protobuf' ? val.note : 'not a Kubernetes object'}`,
        );
        continue;
      }
      if (Array.isArray((obj.metadata as { ownerReferences?: unknown } | undefined)?.ownerReferences))
        owned++;
      items.push(present(obj, { clean: v.clean === true }));
    }
  } finally {
    s.close();
  }
  if (items.length === 0 && skipped === 0)
    throw badInput(
      `${p[0]}: no ${v.kind}${v.namespace ? ` in namespace ${v.namespace}` : ''}${v.name ? ` named ${v.name}` : ''}${rev ? ` at revision ${rev}` : ''}`,
      `list what is there with 'lifeboat snapshot ls ${p[0]} ${prefix}'`,
    );
  if (fmt === 'json')
    out(toJson(items.length === 1 && v.name ? items[0] : { apiVersion: 'v1', kind: 'List', items }));
  else out(items.map((o) => toYaml(o)).join('---\n'));
  if (owned > 0)
    warn(
      `${owned} object(s) have ownerReferences: if the owner no longer exists, the garbage collector deletes them again — restore the owner first or drop ownerReferences`,
    );
  return skipped > 0 ? EXIT.failed : EXIT.ok;
}
