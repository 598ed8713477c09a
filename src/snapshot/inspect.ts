// One pass over every bucket: etcdctl's totals and hash, plus MVCC revisions and live keys per resource/namespace.
import { Crc32c } from './crc32c.js';
import { parseRegistryKey } from './keys.js';
import { parseKeyValue, parseRevision } from './mvcc.js';
import type { Snapshot } from './snapshot.js';

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
  totalKeys: number; // etcdctl's TOTAL KEYS: entries in all buckets
  hash: number | null; // etcdctl's HASH (CRC-32C of every bucket entry)
  buckets: Record<string, number>;
  revisions: number; // entries in the key bucket
  tombstones: number;
  liveKeys: number;
  perResource: Record<string, number>;
  perNamespace: Record<string, number>;
  otherKeys: number; // live keys outside /registry/<resource>/...
}

export function inspect(s: Snapshot, opts: { hash?: boolean; prefix?: string } = {}): InspectReport {
  const crc = opts.hash === true ? new Crc32c() : undefined;
  const buckets: Record<string, number> = {};
  let totalKeys = 0;
  let revision = 0;
  let tombstones = 0;
  const live = new Map<string, boolean>();
  const refs = s.bucketNames();
  for (const name of refs) {
    let n = 0;
    crc?.update(Buffer.from(name, 'latin1'));
    const isKey = name === 'key';
    s.guard(() =>
      s.bolt.walk(s.bucketRef(name)!, (k, v) => {
        n++;
        if (crc) crc.update(k).update(v);
        if (!isKey) return;
        const rev = parseRevision(k);
        revision = rev.main;
        const kv = parseKeyValue(v);
        const key = kv.key.toString('utf8');
        if (rev.tombstone) {
          tombstones++;
          live.delete(key);
        } else live.set(key, true);
      }),
    );
    buckets[name] = n;
    totalKeys += n;
  }
  const perResource: Record<string, number> = {};
  const perNamespace: Record<string, number> = {};
  let otherKeys = 0;
  for (const key of live.keys()) {
    const k = parseRegistryKey(key, opts.prefix);
    if (!k) {
      otherKeys++;
      continue;
    }
    perResource[k.resource] = (perResource[k.resource] ?? 0) + 1;
    if (k.namespace !== undefined) perNamespace[k.namespace] = (perNamespace[k.namespace] ?? 0) + 1;
  }
  const meta = s.etcdMeta();
  return {
    file: s.path,
    fileSize: s.file.size,
    dbSize: s.dbSize,
    pageSize: s.bolt.meta.pageSize,
    hasHash: s.hasHash,
    revision,
    compactedRevision: meta.finishedCompactRev ?? null,
    scheduledCompactRevision: meta.scheduledCompactRev ?? null,
    consistentIndex: meta.consistentIndex ?? null,
    totalKeys,
    hash: crc ? crc.value : null,
    buckets,
    revisions: buckets.key ?? 0,
    tombstones,
    liveKeys: live.size,
    perResource: sortByCount(perResource),
    perNamespace: sortByCount(perNamespace),
    otherKeys,
  };
}

const sortByCount = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
