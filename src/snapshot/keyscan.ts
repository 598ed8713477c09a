// The key-bucket scan behind inspect: revisions, tombstones and each key's final state, from value heads only.
import type { Bolt, BucketRef } from './bolt.js';
import { keyFieldOf, parseKeyValue, revisionMain } from './mvcc.js';
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
    (b, ko, kl, hl, vsize) => {
      r.entries++;
      if ((kl !== 17 && kl !== 18) || b[ko + 8] !== 0x5f) throw new SnapshotError(`key bucket entry with a ${kl}-byte key is not a revision`);
      r.revision = revisionMain(b, ko);
      const vo = ko + kl;
      let at = keyFieldOf(b, vo, vo + hl);
      if (!at && vsize === hl) {
        const k = parseKeyValue(b.subarray(vo, vo + hl)).key;
        at = [k.byteOffset - b.byteOffset, k.byteOffset - b.byteOffset + k.length];
      }
      if (!at) {
        r.unresolved = true;
        return;
      }
      const tomb = kl === 18;
      if (tomb) r.tombstones++;
      r.final.set(b.toString('latin1', at[0], at[1]), !tomb); // only the final state per key matters, not order
    },
    512,
    roots,
  );
  return r;
}

/** Applies a later scan on top of an earlier one (scans of consecutive revision ranges). */
export function mergeScans(a: KeyScan, b: KeyScan): KeyScan {
  for (const [k, live] of b.final) a.final.set(k, live);
  return { entries: a.entries + b.entries, revision: b.entries > 0 ? b.revision : a.revision, tombstones: a.tombstones + b.tombstones, final: a.final, unresolved: a.unresolved || b.unresolved };
}
