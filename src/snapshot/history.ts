// Every revision of one key still stored in a snapshot (compaction keeps only the last before the compacted revision).
import type { Snapshot } from './snapshot.js';

export interface KeyRevision {
  revision: number;
  deleted: boolean;
  createRevision: number;
  version: number;
  lease: number;
  /** A copy; absent for a deletion. */
  value?: Buffer;
}

export function keyHistory(snap: Snapshot, key: string): KeyRevision[] {
  const want = Buffer.from(key);
  const out: KeyRevision[] = [];
  snap.forEachRevision((rev, kv, entry) => {
    if (!kv.key.equals(want)) return;
    out.push({
      revision: rev.main,
      deleted: rev.tombstone,
      createRevision: kv.createRevision,
      version: kv.version,
      lease: kv.lease,
      ...(rev.tombstone ? {} : { value: Buffer.from(entry.subarray(kv.valueStart, kv.valueEnd)) }),
    });
  });
  return out;
}
