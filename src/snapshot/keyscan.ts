// The key-bucket scan behind inspect: revisions, tombstones and each key's final state, from value heads only.
import type { Bolt, BucketRef } from './bolt.js';
import { keyOfKeyValue, parseKeyValue, revisionMain } from './mvcc.js';
import { SnapshotError } from './pagefile.js';

export interface KeyScan {
  entries: number;
  revision: number; // main revision of the last entry scanned
  tombstones: number;
  /** key (latin1) -> live after this scan (false: its last event here was a deletion). */
  final: Map<string, boolean>;
  /** Some KeyValue key did not fit the value head: the caller must rescan in full. */
  unresolved: boolean;
}

export function scanKeys(bolt: Bolt, ref: BucketRef, roots?: number[]): KeyScan {
  const r: KeyScan = { entries: 0, revision: 0, tombstones: 0, final: new Map(), unresolved: false };
  bolt.walkHeads(
    ref,
    (k, head, vsize) => {
      r.entries++;
      if ((k.length !== 17 && k.length !== 18) || k[8] !== 0x5f) throw new SnapshotError(`key bucket entry with a ${k.length}-byte key is not a revision`);
      r.revision = revisionMain(k);
      const key = keyOfKeyValue(head) ?? (vsize === head.length ? parseKeyValue(head).key : undefined);
      if (key === undefined) {
        r.unresolved = true;
        return;
      }
      const tomb = k.length === 18;
      if (tomb) r.tombstones++;
      const s = key.toString('latin1');
      r.final.delete(s); // keep Map order = order of last event
      r.final.set(s, !tomb);
    },
    512,
    roots,
  );
  return r;
}

/** Applies a later scan on top of an earlier one (scans of consecutive revision ranges). */
export function mergeScans(a: KeyScan, b: KeyScan): KeyScan {
  for (const [k, live] of b.final) {
    a.final.delete(k);
    a.final.set(k, live);
  }
  return { entries: a.entries + b.entries, revision: b.entries > 0 ? b.revision : a.revision, tombstones: a.tombstones + b.tombstones, final: a.final, unresolved: a.unresolved || b.unresolved };
}
