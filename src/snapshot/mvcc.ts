// etcd's MVCC layout inside bbolt: `key` bucket (revision -> mvccpb.KeyValue) and `meta` bucket.
import { asInt64, Reader, WIRE, WireError } from '../k8s/wire.js';
import { SnapshotError } from './pagefile.js';

export interface Revision {
  main: number;
  sub: number;
  tombstone: boolean;
}

/** 8-byte big-endian main, '_', 8-byte big-endian sub, then 't' for a tombstone. */
export function parseRevision(k: Buffer): Revision {
  if ((k.length !== 17 && k.length !== 18) || k[8] !== 0x5f)
    throw new SnapshotError(`key bucket entry with a ${k.length}-byte key is not a revision`);
  if (k.length === 18 && k[17] !== 0x74) throw new SnapshotError('revision key has an unknown marker byte');
  return {
    main: Number(k.readBigUInt64BE(0)),
    sub: Number(k.readBigUInt64BE(9)),
    tombstone: k.length === 18,
  };
}

/** Fast path for counting: main revision without BigInt. */
export const revisionMain = (b: Buffer, off = 0): number =>
  b.readUInt32BE(off) * 4294967296 + b.readUInt32BE(off + 4);

/**
 * Where the key field of an mvccpb.KeyValue at b[off..end) ends (etcd writes key first); its start is
 * keyFieldStart. -1 if not there.
 */
export function keyFieldEnd(b: Buffer, off: number, end: number): number {
  if (end - off < 2 || b[off] !== 0x0a) return -1;
  let len = 0;
  let shift = 0;
  let i = off + 1;
  for (; i < end && i < off + 6; i++) {
    len += (b[i]! & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b[i]! & 0x80) === 0) break;
  }
  i++;
  keyFieldStart = i;
  return i + len <= end ? i + len : -1;
}
/** Set by keyFieldEnd: a module variable instead of a tuple, so the hot loop allocates nothing. */
export let keyFieldStart = 0;

export interface KeyValue {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
  /** Offsets of the value inside the entry buffer (not copied: most callers never need it). */
  valueStart: number;
  valueEnd: number;
}

/** Decodes mvccpb.KeyValue {key=1, create_revision=2, mod_revision=3, version=4, value=5, lease=6}. */
export function parseKeyValue(b: Buffer): KeyValue {
  const kv: KeyValue = {
    key: b.subarray(0, 0),
    createRevision: 0,
    modRevision: 0,
    version: 0,
    lease: 0,
    valueStart: 0,
    valueEnd: 0,
  };
  const r = new Reader(b);
  try {
    while (!r.done()) {
      const f = r.field();
      if (f.wire === WIRE.len) {
        if (f.num === 1) kv.key = b.subarray(f.start, f.end);
        else if (f.num === 5) [kv.valueStart, kv.valueEnd] = [f.start, f.end];
      } else if (f.wire === WIRE.varint) {
        if (f.num === 2) kv.createRevision = asInt64(f);
        else if (f.num === 3) kv.modRevision = asInt64(f);
        else if (f.num === 4) kv.version = asInt64(f);
        else if (f.num === 6) kv.lease = asInt64(f);
      }
    }
  } catch (err) {
    if (err instanceof WireError) throw new SnapshotError(`damaged KeyValue record: ${err.message}`);
    throw err;
  }
  return kv;
}

export interface EtcdMeta {
  consistentIndex?: number;
  term?: number;
  scheduledCompactRev?: number;
  finishedCompactRev?: number;
  /** meta/storageVersion ("3.6.0"): written once the cluster version reached 3.6; absent in 3.5 and older data. */
  storageVersion?: string;
}

/** Meta bucket values: consistent_index/term are 8-byte big-endian; compaction marks are revision keys. */
export function parseMetaBucket(entries: Map<string, Buffer>): EtcdMeta {
  const out: EtcdMeta = {};
  const u64 = (b: Buffer | undefined) => (b && b.length === 8 ? Number(b.readBigUInt64BE(0)) : undefined);
  const rev = (b: Buffer | undefined) => (b && b.length >= 8 ? Number(b.readBigUInt64BE(0)) : undefined);
  const ci = u64(entries.get('consistent_index'));
  if (ci !== undefined) out.consistentIndex = ci;
  const term = u64(entries.get('term'));
  if (term !== undefined) out.term = term;
  const s = rev(entries.get('scheduledCompactRev'));
  if (s !== undefined) out.scheduledCompactRev = s;
  const f = rev(entries.get('finishedCompactRev'));
  if (f !== undefined) out.finishedCompactRev = f;
  const sv = entries.get('storageVersion')?.toString('latin1');
  if (sv !== undefined && /^\d+\.\d+\.\d+$/.test(sv)) out.storageVersion = sv;
  return out;
}
