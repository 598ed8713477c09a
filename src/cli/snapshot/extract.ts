// `lifeboat snapshot extract FILE [--kind KIND] [--namespace NS] [--name NAME] [--since REV] [--for-apply]`.
import { parse, oneOf } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { present, toJson, toYaml } from '../../k8s/present.js';
import { KINDS, kindByName } from '../../k8s/schema/index.js';
import { decodeStoredValue, incomplete, objectOf } from '../../k8s/value.js';
import { Snapshot, type LiveKey } from '../../snapshot/snapshot.js';
import { ENC_FLAG, keysFrom, out, revFlag, warn } from './common.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const HELP = `Usage: lifeboat snapshot extract FILE [--kind KIND] [--namespace NS] [--name NAME] [--since REV]
                                [--for-apply] [--rev N] [-o yaml|json] [--encryption-config F]

Prints the Kubernetes objects stored in a snapshot, as YAML documents or (-o json) a v1 List.
  --kind KIND      a kind or resource (Deployment, deployments), or GROUP/PLURAL for custom resources
  --namespace NS   only objects in this namespace;  --name NAME  only objects with this name
  --since REV      only what changed after revision REV (deletions after it are named on stderr)
  --for-apply      ready for 'kubectl apply -f': drops status, uid, resourceVersion, creationTimestamp,
                   managedFields, generation and ownerReferences to objects not in the extract (--clean: same)
Exit 0 when every selected value decoded fully, 1 when some did not (each named on stderr), 2 on bad input.
`;

/** --kind: a known kind or resource (Deployment, deployments), or a storage path like example.com/widgets. */
function resourceFor(kind: string): { resource: string; namespaced: boolean | undefined } {
  const k = kindByName(kind);
  if (k) return { resource: k.resource, namespaced: k.namespaced };
  if (
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(kind) ||
    /^[a-z0-9-]+\.[a-z0-9.-]+$/.test(kind)
  )
    return { resource: kind, namespaced: undefined };
  throw usage(
    `snapshot extract: unknown --kind '${kind}'`,
    `use a kind such as ${KINDS.slice(0, 4)
      .map((x) => x.kind)
      .join(', ')} (any of ${KINDS.length}), or GROUP/PLURAL for custom resources`,
  );
}

/** A DNS-1123 name or namespace as Kubernetes allows in keys; anything else cannot match and is a typo. */
function nameFlag(flag: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (/^[a-z0-9A-Z]([-a-zA-Z0-9_.:]{0,251}[a-zA-Z0-9])?$/.test(v) && !v.includes('/')) return v;
  throw usage(`snapshot extract: --${flag} '${v}' is not a Kubernetes object name`, `give --${flag} NAME`);
}

interface Selection {
  base: string;
  namespaced: boolean | undefined;
  namespace: string | undefined;
  name: string | undefined;
  since: number | undefined;
}

/** Whether a key (and, when decoded, its object) is selected by the filters. */
function selected(hit: LiveKey, obj: Obj | undefined, s: Selection): boolean {
  if (s.since !== undefined && hit.modRevision <= s.since) return false;
  const rest = hit.key.slice(s.base.length).split('/');
  if (s.name && rest[rest.length - 1] !== s.name) return false;
  if (s.namespaced === true && rest.length !== 2) return false;
  if (s.namespace) {
    const md = obj && isObj(obj.metadata) ? obj.metadata : undefined;
    const ns = md ? md.namespace : rest.length >= 2 ? rest[rest.length - 2] : undefined;
    if (ns !== s.namespace) return false;
  }
  return true;
}

/** --for-apply: ownerReferences to objects not in the extract go (their owner would never match); noted. */
export function dropForeignOwners(items: Obj[], uids: Set<unknown>, note: (s: string) => void): void {
  for (const o of items) {
    const md = isObj(o.metadata) ? o.metadata : undefined;
    if (!md || !Array.isArray(md.ownerReferences)) continue;
    const keep = md.ownerReferences.filter((r) => isObj(r) && uids.has(r.uid));
    const gone = md.ownerReferences.length - keep.length;
    if (gone === 0) continue;
    note(
      `${String(o.kind)} ${md.namespace ? `${String(md.namespace)}/` : ''}${String(md.name)}: ` +
        `dropped ${gone} ownerReference(s) to objects not in the extract`,
    );
    if (keep.length > 0) md.ownerReferences = keep;
    else delete md.ownerReferences;
  }
}

const STRIPPED = 'status, uid, resourceVersion, creationTimestamp, managedFields, generation, selfLink';

const EXTRACT_FLAGS = {
  kind: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  name: { type: 'string' },
  since: { type: 'string' },
  'for-apply': { type: 'boolean' },
  clean: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  rev: { type: 'string' },
  prefix: { type: 'string' },
  ...ENC_FLAG,
} as const;

export function runExtract(argv: string[]): number {
  const { values: v, positionals: p } = parse('snapshot extract', argv, EXTRACT_FLAGS);
  if (v.help) return (out(HELP), EXIT.ok);
  if (p.length !== 1)
    throw usage(
      'snapshot extract: give one snapshot FILE',
      'lifeboat snapshot extract FILE [--kind KIND] [--namespace NS] [--name NAME] [--since REV] [--for-apply]',
    );
  const fmt = oneOf('snapshot extract', 'output', v.output, ['yaml', 'json'] as const, 'yaml');
  const rev = revFlag('snapshot extract', v.rev);
  const since = v.since === undefined ? undefined : sinceFlag(v.since, rev);
  const forApply = v['for-apply'] === true || v.clean === true;
  const keys = keysFrom(v['encryption-config']);
  const namespace = nameFlag('namespace', v.namespace);
  const name = nameFlag('name', v.name);
  if (v.prefix !== undefined && !v.prefix.startsWith('/'))
    throw usage(`snapshot extract: --prefix '${v.prefix}' must start with /`, 'e.g. --prefix /registry/');
  const { resource, namespaced } = v.kind ? resourceFor(v.kind) : { resource: '', namespaced: undefined };
  if (namespaced === false && namespace)
    throw usage(`snapshot extract: ${v.kind} is cluster-scoped; drop --namespace`);
  const base = `${v.prefix ?? '/registry/'}${resource ? `${resource}/` : ''}`;
  const prefix = base + (namespace && resource ? `${namespace}/` : '');
  const sel: Selection = { base, namespaced, namespace, name, since };
  const s = Snapshot.open(p[0]!);
  const items: Obj[] = [];
  let bad = 0;
  let owned = 0;
  const uids = new Set<unknown>();
  let deleted: string[] = [];
  try {
    const latest = since === undefined ? 0 : s.guard(() => lastRevision(s));
    if (since !== undefined && since > latest)
      throw usage(
        `snapshot extract: --since ${since} is after the snapshot's last revision ${latest}`,
        `use a revision up to ${latest} (see 'lifeboat snapshot inspect ${p[0]}')`,
      );
    const state = s.state({ ...(rev ? { rev } : {}), prefix, values: true });
    if (since !== undefined) {
      const before = s.state({ rev: since, prefix });
      deleted = [...before.keys()]
        .filter((k) => !state.has(k) && selected(before.get(k)!, undefined, { ...sel, since: undefined }))
        .sort();
    }
    for (const hit of [...state.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      if (!selected(hit, undefined, { ...sel, namespace: undefined })) continue;
      const val = decodeStoredValue(hit.value!, {
        modRevision: hit.modRevision,
        key: hit.key,
        ...(keys ? { keys } : {}),
      });
      const obj = objectOf(val);
      // A whole-store extract skips what is not an object (leases, ranges), not what failed to decode.
      if (!resource && !obj && !(val.format === 'raw' && val.note)) continue;
      if (!selected(hit, obj, sel)) continue;
      const why = incomplete(val) ?? (obj ? undefined : 'not a Kubernetes object');
      const take = obj !== undefined && !(val.format === 'protobuf' && !val.typed);
      if (why) {
        bad++;
        warn(`${hit.key}: ${take ? 'not fully decoded' : 'skipped'}: ${why}`);
      }
      if (!take) continue;
      if (isObj(obj.metadata) && Array.isArray(obj.metadata.ownerReferences)) owned++;
      if (isObj(obj.metadata) && obj.metadata.uid) uids.add(obj.metadata.uid);
      items.push(present(obj, { clean: forApply }));
    }
  } finally {
    s.close();
  }
  if (forApply) dropForeignOwners(items, uids, warn);
  for (const k of deleted) warn(`${k}: deleted after revision ${since}; get it back with --rev ${since}`);
  if (items.length === 0 && bad === 0 && deleted.length === 0)
    throw badInput(
      `${p[0]}: no ${v.kind ?? 'object'}${namespace ? ` in namespace ${namespace}` : ''}` +
        `${name ? ` named ${name}` : ''}` +
        `${since !== undefined ? ` changed after revision ${since}` : ''}` +
        `${rev ? ` at revision ${rev}` : ''}`,
      `list what is there with 'lifeboat snapshot ls ${p[0]} ${prefix}'`,
    );
  if (fmt === 'json')
    out(toJson(items.length === 1 && name ? items[0] : { apiVersion: 'v1', kind: 'List', items }));
  else if (items.length > 0) out(items.map((o) => toYaml(o)).join('---\n'));
  if (forApply && items.length > 0) warn(`for-apply: dropped ${STRIPPED} from ${items.length} object(s)`);
  if (owned > 0 && !forApply)
    warn(
      `${owned} object(s) have ownerReferences: if the owner no longer exists, the garbage ` +
        `collector deletes them again — restore the owner first or use --for-apply`,
    );
  if (bad > 0) warn(`${bad} value(s) not fully decoded (see the lines above)`);
  return bad > 0 ? EXIT.incomplete : EXIT.ok;
}

function sinceFlag(v: string, rev: number | undefined): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n))
    throw usage(
      `snapshot extract: --since '${v}' is not a revision`,
      'use --since N with N from `lifeboat snapshot inspect`',
    );
  if (rev !== undefined && n >= rev)
    throw usage(
      `snapshot extract: --since ${n} is not before --rev ${rev}`,
      'give --since a revision older than --rev',
    );
  return n;
}

function lastRevision(s: Snapshot): number {
  let last = 0;
  s.forEachRevision((r) => (last = r.main));
  return last;
}
