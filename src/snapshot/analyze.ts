// What holds the space in a snapshot: bytes per resource and namespace over every revision still stored, the largest
// live objects and the keys with the most history. The answer to "what filled the quota?".
import { keyFieldEnd, keyFieldStart, parseKeyValue, revisionMain } from './mvcc.js';
import { splitRegistryKey } from './keys.js';
import type { Snapshot } from './snapshot.js';

export interface Usage {
  /** Live keys at the snapshot's revision. */
  objects: number;
  liveBytes: number;
  /** Revisions stored (live, superseded and deletions). */
  revisions: number;
  /** Bytes of every stored revision (the MVCC record: key, revisions, value). */
  bytes: number;
}

export interface AnalyzeReport {
  file: string;
  dbSize: number;
  revision: number;
  compactedRevision: number | null;
  revisions: number;
  tombstones: number;
  bytes: number;
  liveKeys: number;
  liveBytes: number;
  byResource: ({ resource: string } & Usage)[];
  byNamespace: ({ namespace: string } & Usage)[];
  largest: { key: string; bytes: number }[];
  mostRevisions: { key: string; revisions: number; bytes: number; live: boolean }[];
  verdict: string;
}

interface KeyUsage {
  revisions: number;
  bytes: number;
  lastBytes: number;
  live: boolean;
}

const REGISTRY = '/registry/';

/** Resource of a key: /registry/<resource>, else its first two path segments (e.g. /myapp/cache/*). */
export function groupOf(key: string): [string, string | undefined] {
  const k8s = splitRegistryKey(key, REGISTRY);
  if (k8s) return k8s;
  const parts = key.split('/');
  if (key.startsWith('/') && parts.length > 3) return [`/${parts[1]}/${parts[2]}/*`, undefined];
  if (key.startsWith('/') && parts.length > 2) return [`/${parts[1]}/*`, undefined];
  return ['(other keys)', undefined];
}

function perKey(snap: Snapshot): { keys: Map<string, KeyUsage>; revision: number; tombstones: number } {
  const keys = new Map<string, KeyUsage>();
  let revision = 0;
  let tombstones = 0;
  const ref = snap.bucketRef('key')!;
  snap.guard(() =>
    snap.bolt.walk(ref, (k, v) => {
      revision = revisionMain(k);
      if (v.length === 0) return; // etcdutl restore --bump-revision's marker
      const end = keyFieldEnd(v, 0, v.length);
      const key =
        end >= 0 ? v.toString('latin1', keyFieldStart, end) : parseKeyValue(v).key.toString('latin1');
      const tomb = k.length === 18;
      if (tomb) tombstones++;
      const size = k.length + v.length;
      const u = keys.get(key);
      if (u) {
        u.revisions++;
        u.bytes += size;
        u.lastBytes = size;
        u.live = !tomb;
      } else keys.set(key, { revisions: 1, bytes: size, lastBytes: size, live: !tomb });
    }),
  );
  return { keys, revision, tombstones };
}

const zero = (): Usage => ({ objects: 0, liveBytes: 0, revisions: 0, bytes: 0 });

function add(u: Usage, k: KeyUsage): void {
  u.revisions += k.revisions;
  u.bytes += k.bytes;
  if (k.live) {
    u.objects++;
    u.liveBytes += k.lastBytes;
  }
}

function top<T>(items: Iterable<T>, n: number, score: (x: T) => number): T[] {
  return [...items].sort((a, b) => score(b) - score(a)).slice(0, n);
}

export function analyze(snap: Snapshot, opts: { top?: number } = {}): AnalyzeReport {
  const n = opts.top ?? 10;
  const { keys, revision, tombstones } = perKey(snap);
  const total = zero();
  const byResource = new Map<string, Usage>();
  const byNamespace = new Map<string, Usage>();
  for (const [key, k] of keys) {
    add(total, k);
    const [resource, namespace] = groupOf(key);
    add(byResource.get(resource) ?? byResource.set(resource, zero()).get(resource)!, k);
    if (namespace !== undefined)
      add(byNamespace.get(namespace) ?? byNamespace.set(namespace, zero()).get(namespace)!, k);
  }
  const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');
  const report: AnalyzeReport = {
    file: snap.path,
    dbSize: snap.dbSize,
    revision,
    compactedRevision: snap.etcdMeta().finishedCompactRev ?? null,
    revisions: total.revisions,
    tombstones,
    bytes: total.bytes,
    liveKeys: total.objects,
    liveBytes: total.liveBytes,
    byResource: top(byResource, Infinity, ([, u]) => u.bytes).map(([resource, u]) => ({ resource, ...u })),
    byNamespace: top(byNamespace, Infinity, ([, u]) => u.bytes).map(([namespace, u]) => ({
      namespace,
      ...u,
    })),
    largest: top(
      [...keys].filter(([, k]) => k.live),
      n,
      ([, k]) => k.lastBytes,
    ).map(([key, k]) => ({ key: utf8(key), bytes: k.lastBytes })),
    mostRevisions: top(keys, n, ([, k]) => k.bytes)
      .filter(([, k]) => k.revisions > 1)
      .map(([key, k]) => ({ key: utf8(key), revisions: k.revisions, bytes: k.bytes, live: k.live })),
    verdict: '',
  };
  report.verdict = verdict(report);
  return report;
}

const pct = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 100));

function verdict(r: AnalyzeReport): string {
  const first = r.byResource[0];
  if (!first) return 'the key bucket is empty: no keys in this snapshot';
  const history = first.bytes - first.liveBytes;
  const what =
    `${first.resource} holds ${pct(first.bytes, r.bytes)} % of the stored bytes ` +
    `(${first.revisions} revisions of ${first.objects} live keys)`;
  const why =
    history > first.liveBytes
      ? `${pct(history, first.bytes)} % of it is history: compaction frees it (then defragment)`
      : `most of it is live data: compaction will not free it; delete objects or raise the quota`;
  const free = r.dbSize - r.bytes;
  const slack =
    r.dbSize > 0 && free > r.dbSize / 2
      ? `; ${pct(free, r.dbSize)} % of the db file is free pages or overhead (defragment returns it)`
      : '';
  return `${what}; ${why}${slack}`;
}
