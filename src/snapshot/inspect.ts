// One pass over every bucket: etcdctl's totals (and hash with --hash), plus MVCC revisions and live
// keys per resource/namespace.
import { Worker } from 'node:worker_threads';
import { Crc32c } from './crc32c.js';
import { claimScans, mergeScans, scanKeys, type KeyScan } from './keyscan.js';
import { splitRegistryKey } from './keys.js';
import { parseKeyValue, parseRevision } from './mvcc.js';
import { SnapshotError } from './pagefile.js';
import { wrap, type Snapshot } from './snapshot.js';

export interface InspectReport {
  file: string;
  fileSize: number;
  dbSize: number;
  pageSize: number;
  hasHash: boolean;
  revision: number;
  compactedRevision: number | null;
  scheduledCompactRevision: number | null;
  consistentIndex: number | null;
  /** TOTAL KEYS as etcdutl of the snapshot's own version shows it: 3.5 entries in all buckets, 3.6+ live keys. */
  totalKeys: number;
  /** How totalKeys was counted: 'entries' (etcdctl/etcdutl 3.5) or 'live' (etcdutl 3.6+). */
  totalKeysAs: 'entries' | 'live';
  /** meta/storageVersion (3.6+ data), null when absent (3.5 and older, or a cluster not yet at 3.6). */
  storageVersion: string | null;
  hash: number | null; // etcdctl's HASH (CRC-32C of every bucket entry), with --hash
  buckets: Record<string, number>;
  revisions: number; // entries in the key bucket
  tombstones: number;
  liveKeys: number;
  perResource: Record<string, number>;
  perNamespace: Record<string, number>;
  otherKeys: number; // live keys outside /registry/<resource>/...
}

export interface InspectOptions {
  hash?: boolean;
  prefix?: string;
}

/** Full read of the key bucket (needed for the hash, and when a key did not fit a value head). */
function fullScan(s: Snapshot, crc: Crc32c | undefined): KeyScan {
  const r: KeyScan = {
    entries: 0,
    revision: 0,
    tombstones: 0,
    markers: 0,
    final: new Map(),
    unresolved: false,
  };
  s.guard(() =>
    s.bolt.walk(s.bucketRef('key')!, (k, v) => {
      r.entries++;
      if (crc) crc.update(k).update(v);
      const rev = parseRevision(k);
      r.revision = rev.main;
      if (rev.tombstone) r.tombstones++;
      if (v.length > 0) r.final.set(parseKeyValue(v).key.toString('latin1'), !rev.tombstone);
      else r.markers++; // the bump marker
    }),
  );
  return r;
}

/** Counts the other buckets (small) and feeds the hash in bucket order; `key` gets the given scan. */
function report(
  s: Snapshot,
  opts: InspectOptions,
  keyScan: (crc: Crc32c | undefined) => KeyScan,
): InspectReport {
  const crc = opts.hash === true ? new Crc32c() : undefined;
  const buckets: Record<string, number> = {};
  let scan: KeyScan | undefined;
  for (const name of s.bucketNames()) {
    crc?.update(Buffer.from(name, 'latin1'));
    if (name === 'key') {
      scan = keyScan(crc);
      if (scan.unresolved) scan = fullScan(s, undefined);
      buckets[name] = scan.entries;
      continue;
    }
    let n = 0;
    s.guard(() =>
      s.bolt.walk(s.bucketRef(name)!, (k, v) => {
        n++;
        crc?.update(k).update(v);
      }),
    );
    buckets[name] = n;
  }
  if (!scan) throw new SnapshotError('no key bucket');
  const perResource = new Map<string, number>();
  const perNamespace = new Map<string, number>();
  let otherKeys = 0;
  let liveKeys = 0;
  for (const [key, live] of scan.final) {
    if (!live) continue;
    liveKeys++;
    const k = splitRegistryKey(key, opts.prefix ?? '/registry/');
    if (!k) {
      otherKeys++;
      continue;
    }
    perResource.set(k[0], (perResource.get(k[0]) ?? 0) + 1);
    if (k[1] !== undefined) perNamespace.set(k[1], (perNamespace.get(k[1]) ?? 0) + 1);
  }
  const meta = s.etcdMeta();
  // etcdutl 3.6 counts live keys, and the bump marker as the key "" (a non-tombstone record with no key).
  const live = meta.storageVersion !== undefined && !/^3\.[0-5]\./.test(meta.storageVersion);
  return {
    file: s.path,
    fileSize: s.file.size,
    dbSize: s.dbSize,
    pageSize: s.bolt.meta.pageSize,
    hasHash: s.hasHash,
    revision: scan.revision,
    compactedRevision: meta.finishedCompactRev ?? null,
    scheduledCompactRevision: meta.scheduledCompactRev ?? null,
    consistentIndex: meta.consistentIndex ?? null,
    totalKeys: live
      ? liveKeys + (scan.markers > 0 && !scan.final.has('') ? 1 : 0)
      : Object.values(buckets).reduce((a, b) => a + b, 0),
    totalKeysAs: live ? 'live' : 'entries',
    storageVersion: meta.storageVersion ?? null,
    hash: crc ? crc.value : null,
    buckets,
    revisions: scan.entries,
    tombstones: scan.tombstones,
    liveKeys,
    perResource: sortByCount(perResource),
    perNamespace: sortByCount(perNamespace),
    otherKeys,
  };
}

export function inspect(s: Snapshot, opts: InspectOptions = {}): InspectReport {
  return report(s, opts, (crc) =>
    crc ? fullScan(s, crc) : s.guard(() => scanKeys(s.bolt, s.bucketRef('key')!)),
  );
}

const PARALLEL_MIN_PAGES = 65_536; // 256 MiB at 4 KiB pages: below that a worker's start-up costs more than it saves

/** inspect, with the key bucket split between this thread and a worker on large snapshots (compiled build only). */
export async function inspectParallel(s: Snapshot, opts: InspectOptions = {}): Promise<InspectReport> {
  const workerUrl = new URL('./keyscan-worker.js', import.meta.url);
  const ref = s.bucketRef('key');
  if (
    opts.hash ||
    !ref ||
    ref.inline ||
    s.bolt.meta.hwm < PARALLEL_MIN_PAGES ||
    !import.meta.url.endsWith('.js')
  )
    return inspect(s, opts);
  const children = s.guard(() => s.bolt.rootChildren(ref));
  if (children.length < 2) return inspect(s, opts);
  // Subtree groups claimed from a shared counter by this thread and a worker: neither waits for the other.
  const n = Math.min(children.length, 32);
  const groups = Array.from({ length: n }, (_, g) =>
    children.slice(Math.floor((g * children.length) / n), Math.floor(((g + 1) * children.length) / n)),
  );
  const counter = new SharedArrayBuffer(4);
  const worker = new Worker(workerUrl, { workerData: { path: s.path, root: ref.root, groups, counter } });
  const theirs = new Promise<[number, KeyScan][]>((resolve, reject) => {
    worker.once('message', (m: { ok: boolean; scans?: [number, KeyScan][]; message?: string }) =>
      m.ok ? resolve(m.scans!) : reject(new SnapshotError(m.message ?? 'worker failed')),
    );
    worker.once('error', reject);
  });
  try {
    const mine = s.guard(() => claimScans(s.bolt, ref, groups, new Int32Array(counter)));
    const all = [...mine, ...(await theirs.catch((err: unknown) => Promise.reject(wrap(s.path, err))))].sort(
      (a, b) => a[0] - b[0],
    );
    if (all.length !== n) throw wrap(s.path, new SnapshotError('parallel scan lost a part'));
    return report(s, opts, () => all.map(([, scan]) => scan).reduce((a, b) => mergeScans(a, b)));
  } finally {
    void worker.terminate();
  }
}

const sortByCount = (r: Map<string, number>) =>
  Object.fromEntries([...r].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
