// The lease bucket (leasepb.Lease {ID=1, TTL=2, RemainingTTL=3}, keyed by the 8-byte big-endian ID) and the live
// keys attached to each lease.
import { asInt64, Reader, WIRE } from '../k8s/wire.js';
import type { Snapshot } from './snapshot.js';

export interface LeaseInfo {
  /** Lease ID in hex, as etcdctl lease list prints it. */
  id: string;
  ttl: number;
  /** Set only for leases etcd checkpointed (lease checkpointing on). */
  remainingTtl?: number;
  keys: string[];
}

function parseLease(v: Buffer): { id: bigint; ttl: number; remaining?: number } {
  const r = new Reader(v);
  let id = 0n;
  let ttl = 0;
  let remaining: number | undefined;
  while (!r.done()) {
    const f = r.field();
    if (f.wire !== WIRE.varint) continue;
    if (f.num === 1) id = BigInt.asIntN(64, (BigInt(f.hi >>> 0) << 32n) | BigInt(f.lo >>> 0));
    else if (f.num === 2) ttl = asInt64(f);
    else if (f.num === 3) remaining = asInt64(f);
  }
  return { id, ttl, ...(remaining !== undefined ? { remaining } : {}) };
}

function leaseField(entry: Buffer): bigint {
  const r = new Reader(entry);
  let id = 0n;
  while (!r.done()) {
    const f = r.field();
    if (f.num === 6 && f.wire === WIRE.varint) id = (BigInt(f.hi >>> 0) << 32n) | BigInt(f.lo >>> 0);
  }
  return id;
}

const hex = (id: bigint) => BigInt.asUintN(64, id).toString(16).padStart(16, '0'); // as etcdctl prints it

export function leases(snap: Snapshot, rev?: number): { leases: LeaseInfo[]; orphanKeys: string[] } {
  const byId = new Map<string, LeaseInfo>();
  for (const [, v] of snap.bucketEntries('lease')) {
    const l = parseLease(v);
    byId.set(hex(l.id), {
      id: hex(l.id),
      ttl: l.ttl,
      ...(l.remaining !== undefined ? { remainingTtl: l.remaining } : {}),
      keys: [],
    });
  }
  // The lease of each key's last revision, read exactly (IDs do not fit a double).
  const attached = new Map<string, string>();
  snap.forEachRevision((r, kv, entry) => {
    if (rev !== undefined && r.main > rev) return;
    const key = kv.key.toString('utf8');
    attached.delete(key);
    if (!r.tombstone && kv.lease !== 0) attached.set(key, hex(leaseField(entry)));
  });
  const orphanKeys: string[] = [];
  for (const [key, id] of attached) {
    const l = byId.get(id);
    if (l) l.keys.push(key);
    else orphanKeys.push(key);
  }
  return { leases: [...byId.values()], orphanKeys };
}
