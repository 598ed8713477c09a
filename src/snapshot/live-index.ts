// The live keys of a snapshot held compactly (a string and a few numbers per key, a 20-byte digest when asked), so
// listing and diffing snapshots of a million keys stays within the budget docs/security.md states.
import { createHash } from 'node:crypto';
import type { Snapshot } from './snapshot.js';

export interface LiveIndex {
  /** Live keys in UTF-16 order; the arrays below are in the same order. */
  keys: string[];
  createRevision: Float64Array;
  modRevision: Float64Array;
  version: Float64Array;
  lease: Float64Array;
  /** sha1 of each value, 20 bytes per key; empty unless digests were asked for. */
  digests: Buffer;
  /** The snapshot's last revision (whatever the filters). */
  revision: number;
}

const DIGEST = 20;

export interface IndexOptions {
  rev?: number;
  prefix?: string;
  digests?: boolean;
}

/** One pass over the key bucket in revision order: each key's last event wins; deleted keys are left out. */
export function liveIndex(snap: Snapshot, opts: IndexOptions = {}): LiveIndex {
  const slot = new Map<string, number>();
  const cols = { live: [] as number[], create: [] as number[], mod: [] as number[], ver: [] as number[] };
  const lease: number[] = [];
  let digests: Buffer = Buffer.alloc(opts.digests ? DIGEST * 1024 : 0);
  const prefix = opts.prefix === undefined ? undefined : Buffer.from(opts.prefix);
  let revision = 0;
  snap.forEachRevision((rev, kv, entry) => {
    revision = rev.main;
    if (opts.rev !== undefined && rev.main > opts.rev) return;
    if (
      prefix &&
      (kv.key.length < prefix.length || kv.key.compare(prefix, 0, prefix.length, 0, prefix.length))
    )
      return;
    const key = kv.key.toString('utf8');
    let i = slot.get(key);
    if (i === undefined) {
      i = lease.length;
      slot.set(key, i);
      for (const col of [cols.live, cols.create, cols.mod, cols.ver, lease]) col.push(0);
    }
    cols.live[i] = rev.tombstone ? 0 : 1;
    if (rev.tombstone) return;
    [cols.create[i], cols.mod[i], cols.ver[i], lease[i]] = [
      kv.createRevision,
      kv.modRevision,
      kv.version,
      kv.lease,
    ];
    if (!opts.digests) return;
    if ((i + 1) * DIGEST > digests.length) digests = grow(digests);
    createHash('sha1')
      .update(entry.subarray(kv.valueStart, kv.valueEnd))
      .digest()
      .copy(digests, i * DIGEST);
  });
  const keys: string[] = [];
  for (const [key, i] of slot) if (cols.live[i] === 1) keys.push(key);
  keys.sort();
  const out: LiveIndex = {
    keys,
    createRevision: new Float64Array(keys.length),
    modRevision: new Float64Array(keys.length),
    version: new Float64Array(keys.length),
    lease: new Float64Array(keys.length),
    digests: Buffer.alloc(opts.digests ? keys.length * DIGEST : 0),
    revision,
  };
  keys.forEach((key, j) => {
    const i = slot.get(key)!;
    [out.createRevision[j], out.modRevision[j], out.version[j], out.lease[j]] = [
      cols.create[i]!,
      cols.mod[i]!,
      cols.ver[i]!,
      lease[i]!,
    ];
    if (opts.digests) digests.copy(out.digests, j * DIGEST, i * DIGEST, (i + 1) * DIGEST);
  });
  return out;
}

function grow(b: Buffer): Buffer {
  const bigger = Buffer.alloc(b.length * 2);
  b.copy(bigger);
  return bigger;
}

/** Whether key j of `a` and key k of `b` hold the same value bytes (by digest). */
export const sameValue = (a: LiveIndex, j: number, b: LiveIndex, k: number): boolean =>
  a.digests.compare(b.digests, k * DIGEST, (k + 1) * DIGEST, j * DIGEST, (j + 1) * DIGEST) === 0;

export interface IndexDiff {
  /** Positions in `before` of keys gone in `after`. */
  removed: number[];
  /** Positions in `after` of keys new there. */
  added: number[];
  /** Positions in `after` of keys whose value changed, and the same keys' positions in `before`. */
  changed: number[];
  changedBefore: number[];
  unchanged: number;
}

/** A merge walk of two sorted indexes (built with digests); keys `skip` says yes to are not counted. */
export function diffIndexes(before: LiveIndex, after: LiveIndex, skip: (key: string) => boolean): IndexDiff {
  const d: IndexDiff = { removed: [], added: [], changed: [], changedBefore: [], unchanged: 0 };
  let [j, k] = [0, 0];
  while (j < before.keys.length || k < after.keys.length) {
    const [x, y] = [before.keys[j], after.keys[k]];
    if (y === undefined || (x !== undefined && x < y)) {
      if (!skip(x!)) d.removed.push(j);
      j++;
    } else if (x === undefined || y < x) {
      if (!skip(y)) d.added.push(k);
      k++;
    } else {
      if (!skip(x)) {
        if (sameValue(before, j, after, k)) d.unchanged++;
        else {
          d.changed.push(k);
          d.changedBefore.push(j);
        }
      }
      j++;
      k++;
    }
  }
  return d;
}
