// The keyspace hash etcd's HashKV computes (mvcc kvHasher): CRC-32C of the bucket name "key", then each key-bucket
// entry (revision key, then the KeyValue record) up to the revision. Revisions at or below the compacted one count
// only when they are "kept" for that revision: the key's newest revision up to it, not a deletion.
import { Crc32c } from './crc32c.js';
import { keyFieldEnd, keyFieldStart, parseKeyValue, revisionMain } from './mvcc.js';
import type { Snapshot } from './snapshot.js';

export interface KeyspaceHash {
  hash: number;
  revision: number;
  compactRevision: number;
  /** Key-bucket entries hashed. */
  entries: number;
}

const keyOf = (v: Buffer): string => {
  const end = keyFieldEnd(v, 0, v.length);
  return end >= 0 ? v.toString('latin1', keyFieldStart, end) : parseKeyValue(v).key.toString('latin1');
};

export function keyspaceHash(snap: Snapshot, rev?: number): KeyspaceHash {
  const meta = snap.etcdMeta();
  const compactRev = meta.scheduledCompactRev ?? meta.finishedCompactRev ?? 0;
  const ref = snap.bucketRef('key')!;
  // Pass 1: each key's newest entry up to the revision (its revision key, hex), and the last revision stored.
  const newest = new Map<string, string>();
  let last = 0;
  snap.guard(() =>
    snap.bolt.walk(ref, (k, v) => {
      last = revisionMain(k);
      if ((rev === undefined || last <= rev) && v.length > 0) newest.set(keyOf(v), k.toString('hex'));
    }),
  );
  const upTo = rev ?? last;
  const keep = new Set([...newest.values()].filter((hex) => hex.length === 34)); // 18 bytes: a deletion
  const crc = new Crc32c().update(Buffer.from('key'));
  let entries = 0;
  snap.guard(() =>
    snap.bolt.walk(ref, (k, v) => {
      const main = revisionMain(k);
      if (main > upTo) return;
      if (main <= compactRev && keep.size > 0 && !keep.has(k.toString('hex'))) return;
      if (main === compactRev && k.length === 18) return;
      crc.update(k).update(v);
      entries++;
    }),
  );
  return { hash: crc.value, revision: upTo, compactRevision: compactRev, entries };
}
