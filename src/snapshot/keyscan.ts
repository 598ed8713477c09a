// The key-bucket scan behind inspect: revisions, tombstones and each key's final state, from value heads only.
import type { Bolt, BucketRef } from './bolt.js';
import { keyFieldEnd, keyFieldStart, parseKeyValue, revisionMain } from './mvcc.js';
import { SnapshotError } from './pagefile.js';

export interface KeyScan {
  entries: number;
  revision: number; // main revision of the last entry scanned
  tombstones: number;
  /** Empty-valued records etcdutl restore --bump-revision leaves (etcdutl 3.6 counts them as one key, ""). */
  markers: number;
  /** key (latin1) -> live after this scan (false: its last event here was a deletion). */
  final: Map<string, boolean>;
  /** Some KeyValue key did not fit the value head: the caller must rescan in full. */
  unresolved: boolean;
}

export function scanKeys(bolt: Bolt, ref: BucketRef, roots?: number[]): KeyScan {
  const r: KeyScan = {
    entries: 0,
    revision: 0,
    tombstones: 0,
    markers: 0,
    final: new Map(),
    unresolved: false,
  };
  bolt.walkHeads(
    ref,
    (b, ko, kl, hl, vsize) => {
      r.entries++;
      if ((kl !== 17 && kl !== 18) || b[ko + 8] !== 0x5f)
        throw new SnapshotError(`key bucket entry with a ${kl}-byte key is not a revision`);
      r.revision = revisionMain(b, ko);
      // The marker etcdutl restore --bump-revision leaves: a revision without a key.
      if (vsize === 0) return void r.markers++;
      const vo = ko + kl;
      let key: string;
      const end = keyFieldEnd(b, vo, vo + hl);
      if (end >= 0) key = b.toString('latin1', keyFieldStart, end);
      else if (vsize === hl) key = parseKeyValue(b.subarray(vo, vo + hl)).key.toString('latin1');
      else {
        r.unresolved = true;
        return;
      }
      const tomb = kl === 18;
      if (tomb) r.tombstones++;
      r.final.set(key, !tomb); // only the final state per key matters, not order
    },
    512,
    roots,
  );
  return r;
}

/** Applies a later scan on top of an earlier one (scans of consecutive revision ranges). */
export function mergeScans(a: KeyScan, b: KeyScan): KeyScan {
  for (const [k, live] of b.final) a.final.set(k, live);
  return {
    entries: a.entries + b.entries,
    revision: b.entries > 0 ? b.revision : a.revision,
    tombstones: a.tombstones + b.tombstones,
    markers: a.markers + b.markers,
    final: a.final,
    unresolved: a.unresolved || b.unresolved,
  };
}

/** Scans groups of subtrees, claiming each from a shared counter (work sharing with another thread). */
export function claimScans(
  bolt: Bolt,
  ref: BucketRef,
  groups: number[][],
  counter: Int32Array,
): [number, KeyScan][] {
  const out: [number, KeyScan][] = [];
  for (let i = Atomics.add(counter, 0, 1); i < groups.length; i = Atomics.add(counter, 0, 1))
    out.push([i, scanKeys(bolt, ref, groups[i])]);
  return out;
}
