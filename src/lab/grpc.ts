// A tiny etcd v3 gRPC client over node:http2 (Range, Put, DeleteRange, Status): no retries, hard
// deadlines, so the lab sees failures as they are.
import { connect, type ClientHttp2Session } from 'node:http2';
import { readFileSync } from 'node:fs';

export interface Tls {
  ca: string;
  cert: string;
  key: string;
}

// --- protobuf wire helpers (only what these four messages need) ---
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
function fieldBytes(no: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...varint((no << 3) | 2), ...varint(data.length)]), data]);
}
function fieldVarint(no: number, n: number | bigint): Buffer {
  return Buffer.from([...varint(no << 3), ...varint(n)]);
}

type Fields = Map<number, Array<bigint | Buffer>>;
function decode(buf: Buffer): Fields {
  const out: Fields = new Map();
  let i = 0;
  const readVarint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(readVarint());
    const no = tag >>> 3;
    const wt = tag & 7;
    let val: bigint | Buffer;
    if (wt === 0) val = readVarint();
    else if (wt === 2) {
      const len = Number(readVarint());
      val = buf.subarray(i, i + len);
      i += len;
    } else if (wt === 1) {
      val = buf.readBigUInt64LE(i);
      i += 8;
    } else if (wt === 5) {
      val = BigInt(buf.readUInt32LE(i));
      i += 4;
    } else throw new Error(`unsupported wire type ${wt}`);
    const list = out.get(no) ?? [];
    list.push(val);
    out.set(no, list);
  }
  return out;
}
const num = (f: Fields, no: number): number => Number((f.get(no)?.[0] as bigint | undefined) ?? 0n);
const big = (f: Fields, no: number): bigint => (f.get(no)?.[0] as bigint | undefined) ?? 0n;
const bytes = (f: Fields, no: number): Buffer => (f.get(no)?.[0] as Buffer | undefined) ?? Buffer.alloc(0);

export interface KeyValue {
  key: Buffer;
  value: Buffer;
  modRevision: number;
}
export interface RangeResult {
  revision: number;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}
export interface StatusResult {
  memberId: bigint;
  revision: number;
  version: string;
  dbSize: number;
  leader: bigint;
  raftIndex: number;
  raftTerm: number;
  errors: string[];
}

/** One TLS connection to one etcd endpoint. Every call has a deadline; close() when done. */
export class EtcdClient {
  private session: ClientHttp2Session;
  constructor(endpoint: string, tls: Tls) {
    this.session = connect(endpoint, {
      ca: readFileSync(tls.ca),
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
    });
    this.session.on('error', () => undefined); // errors surface on the calls
  }

  private call(path: string, body: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const head = Buffer.alloc(5);
      head.writeUInt32BE(body.length, 1);
      let req;
      try {
        req = this.session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${timeoutMs}m`,
        });
      } catch (err) {
        reject(err as Error);
        return;
      }
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const timer = setTimeout(() => {
        req.close();
        reject(new Error(`${path}: deadline of ${timeoutMs} ms exceeded`));
      }, timeoutMs);
      const takeStatus = (h: Record<string, unknown>) => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
      };
      req.on('response', (h) => takeStatus(h as Record<string, unknown>));
      req.on('trailers', (h) => takeStatus(h as Record<string, unknown>));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('close', () => {
        clearTimeout(timer);
        if (status !== '0') {
          reject(new Error(message || `${path}: grpc status ${status ?? 'missing'}`));
          return;
        }
        const all = Buffer.concat(chunks);
        resolve(all.length >= 5 ? all.subarray(5, 5 + all.readUInt32BE(1)) : Buffer.alloc(0));
      });
      req.end(Buffer.concat([head, body]));
    });
  }

  async range(
    key: string | Buffer,
    rangeEnd: string | Buffer | null,
    opts: {
      limit?: number;
      countOnly?: boolean;
      keysOnly?: boolean;
      serializable?: boolean;
      timeoutMs?: number;
    } = {},
  ): Promise<RangeResult> {
    const parts = [fieldBytes(1, Buffer.from(key))];
    if (rangeEnd !== null) parts.push(fieldBytes(2, Buffer.from(rangeEnd)));
    if (opts.limit) parts.push(fieldVarint(3, opts.limit));
    if (opts.serializable) parts.push(fieldVarint(7, 1));
    if (opts.keysOnly) parts.push(fieldVarint(8, 1));
    if (opts.countOnly) parts.push(fieldVarint(9, 1));
    const f = decode(await this.call('/etcdserverpb.KV/Range', Buffer.concat(parts), opts.timeoutMs ?? 3000));
    const header = decode(bytes(f, 1));
    const kvs = (f.get(2) ?? []).map((b) => {
      const kv = decode(b as Buffer);
      return { key: bytes(kv, 1), value: bytes(kv, 5), modRevision: num(kv, 3) };
    });
    return { revision: num(header, 3), kvs, more: num(f, 3) === 1, count: num(f, 4) };
  }

  async put(key: string, value: Uint8Array, timeoutMs = 5000, lease?: bigint): Promise<number> {
    const parts = [fieldBytes(1, Buffer.from(key)), fieldBytes(2, value)];
    if (lease !== undefined) parts.push(fieldVarint(3, lease));
    const f = decode(await this.call('/etcdserverpb.KV/Put', Buffer.concat(parts), timeoutMs));
    return num(decode(bytes(f, 1)), 3);
  }

  /** A new lease of `ttl` seconds; its ID. */
  async leaseGrant(ttl: number, timeoutMs = 5000): Promise<bigint> {
    const f = decode(await this.call('/etcdserverpb.Lease/LeaseGrant', fieldVarint(1, ttl), timeoutMs));
    return big(f, 2);
  }

  async deleteRange(key: string, rangeEnd: string | null = null, timeoutMs = 5000): Promise<number> {
    const parts = [fieldBytes(1, Buffer.from(key))];
    if (rangeEnd !== null) parts.push(fieldBytes(2, Buffer.from(rangeEnd)));
    const f = decode(await this.call('/etcdserverpb.KV/DeleteRange', Buffer.concat(parts), timeoutMs));
    return num(f, 2);
  }

  async status(timeoutMs = 2000): Promise<StatusResult> {
    const f = decode(await this.call('/etcdserverpb.Maintenance/Status', Buffer.alloc(0), timeoutMs));
    const header = decode(bytes(f, 1));
    return {
      memberId: big(header, 2),
      revision: num(header, 3),
      version: bytes(f, 2).toString(),
      dbSize: num(f, 3),
      leader: big(f, 4),
      raftIndex: num(f, 5),
      raftTerm: num(f, 6),
      errors: (f.get(8) ?? []).map((b) => (b as Buffer).toString()),
    };
  }

  /** The members' names and IDs (Cluster/MemberList; Member: ID = 1, name = 2). */
  async memberList(timeoutMs = 5000): Promise<Array<{ id: bigint; name: string }>> {
    const f = decode(await this.call('/etcdserverpb.Cluster/MemberList', Buffer.alloc(0), timeoutMs));
    return (f.get(2) ?? []).map((b) => {
      const m = decode(b as Buffer);
      return { id: big(m, 1), name: bytes(m, 2).toString() };
    });
  }

  /** Clears an alarm for a member (Maintenance/Alarm, action DEACTIVATE): what `etcdctl alarm disarm` sends. */
  async alarmDeactivate(memberId: bigint, alarm: 'NOSPACE' | 'CORRUPT', timeoutMs = 5000): Promise<void> {
    const req = Buffer.concat([
      fieldVarint(1, 2),
      fieldVarint(2, memberId),
      fieldVarint(3, alarm === 'NOSPACE' ? 1 : 2),
    ]);
    await this.call('/etcdserverpb.Maintenance/Alarm', req, timeoutMs);
  }

  /** Compacts the history up to revision, waiting until it is applied (physical). */
  async compact(revision: number, timeoutMs = 30_000): Promise<void> {
    await this.call(
      '/etcdserverpb.KV/Compact',
      Buffer.concat([fieldVarint(1, revision), fieldVarint(2, 1)]),
      timeoutMs,
    );
  }

  /** Defragments this member's backend (it answers nothing else meanwhile). */
  async defragment(timeoutMs = 60_000): Promise<void> {
    await this.call('/etcdserverpb.Maintenance/Defragment', Buffer.alloc(0), timeoutMs);
  }

  /**
   * Raises an alarm for a member (Maintenance/Alarm, action ACTIVATE), as etcd itself does: CORRUPT when its
   * corruption check finds a member whose hash differs, NOSPACE when a put exceeds the quota.
   */
  async alarmActivate(memberId: bigint, alarm: 'NOSPACE' | 'CORRUPT', timeoutMs = 5000): Promise<void> {
    const req = Buffer.concat([
      fieldVarint(1, 1),
      fieldVarint(2, memberId),
      fieldVarint(3, alarm === 'NOSPACE' ? 1 : 2),
    ]);
    await this.call('/etcdserverpb.Maintenance/Alarm', req, timeoutMs);
  }

  close(): void {
    this.session.close();
    this.session.destroy();
  }
}

/** The key just after every key with this prefix (etcd's --prefix range end). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i] = b[i]! + 1;
      return out;
    }
  }
  return Buffer.from([0]);
}

/** Opens a client, runs fn, always closes it. */
export async function withClient<T>(
  endpoint: string,
  tls: Tls,
  fn: (c: EtcdClient) => Promise<T>,
): Promise<T> {
  const c = new EtcdClient(endpoint, tls);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
