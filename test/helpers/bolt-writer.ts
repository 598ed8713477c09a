// Writes an etcd data file (bbolt, version 2) with a `key` bucket of the given revisions, straight to disk: a
// million-key snapshot in seconds, which a real etcd would take minutes to build. Tests of readers only.
import { closeSync, openSync, writeSync } from 'node:fs';

const PAGE = 4096;
const HEADER = 16;
const ELEMENT = 16;

export interface Put {
  key: string;
  value: Buffer;
  /** A deletion of `key` (a tombstone), not a put. */
  delete?: boolean;
}

function varint(n: number, out: number[]): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** mvccpb.KeyValue {key=1, create_revision=2, mod_revision=3, version=4, value=5}. */
function keyValue(key: Buffer, create: number, mod: number, version: number, value: Buffer): Buffer {
  const head: number[] = [0x0a];
  varint(key.length, head);
  const mid: number[] = [0x10];
  varint(create, mid);
  mid.push(0x18);
  varint(mod, mid);
  mid.push(0x20);
  varint(version, mid);
  mid.push(0x2a);
  varint(value.length, mid);
  const out = Buffer.allocUnsafe(head.length + key.length + mid.length + value.length);
  let at = out.set(head, 0) ?? head.length;
  at += key.copy(out, at);
  out.set(mid, at);
  value.copy(out, at + mid.length);
  return out;
}

function revisionKey(main: number, tombstone: boolean): Buffer {
  const k = Buffer.alloc(tombstone ? 18 : 17);
  k.writeUInt32BE(Math.floor(main / 2 ** 32), 0);
  k.writeUInt32BE(main % 2 ** 32, 4);
  k[8] = 0x5f;
  if (tombstone) k[17] = 0x74;
  return k;
}

function fnv64a(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of b) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h;
}

class PageWriter {
  private next = 2;
  constructor(private readonly fd: number) {}

  /** Writes one page of `flags` holding `elements` (16-byte entries, then their data); returns its id. */
  page(flags: number, entries: [Buffer, Buffer, number][], branch: boolean): number {
    const size = entries.reduce((n, [k, v]) => n + ELEMENT + k.length + v.length, HEADER);
    const span = Math.ceil(size / PAGE); // one big value: a page and its overflow pages
    const id = this.next;
    this.next += span;
    const b = Buffer.alloc(span * PAGE);
    b.writeBigUInt64LE(BigInt(id), 0);
    b.writeUInt16LE(flags, 8);
    b.writeUInt16LE(entries.length, 10);
    b.writeUInt32LE(span - 1, 12);
    let data = HEADER + entries.length * ELEMENT;
    entries.forEach(([key, value, extra], i) => {
      const e = HEADER + i * ELEMENT;
      if (branch) {
        b.writeUInt32LE(data - e, e);
        b.writeUInt32LE(key.length, e + 4);
        b.writeBigUInt64LE(BigInt(extra), e + 8);
      } else {
        b.writeUInt32LE(extra, e);
        b.writeUInt32LE(data - e, e + 4);
        b.writeUInt32LE(key.length, e + 8);
        b.writeUInt32LE(value.length, e + 12);
      }
      data += key.copy(b, data);
      data += value.copy(b, data);
    });
    writeSync(this.fd, b, 0, b.length, id * PAGE);
    return id;
  }

  get pages(): number {
    return this.next;
  }
}

const fits = (entries: [Buffer, Buffer, number][], add: [Buffer, Buffer, number]) =>
  HEADER +
    (entries.length + 1) * ELEMENT +
    [...entries, add].reduce((n, [k, v]) => n + k.length + v.length, 0) <=
  PAGE;

/** Leaves of (key, value) in order, then branch levels up to one root page; returns the root's id. */
function tree(w: PageWriter, items: Iterable<[Buffer, Buffer, number]>, leafFlags = 0x02): number {
  let level: [Buffer, number][] = [];
  let page: [Buffer, Buffer, number][] = [];
  let size = HEADER;
  const flush = () => {
    level.push([page[0]![0], w.page(leafFlags, page, false)]);
    [page, size] = [[], HEADER];
  };
  for (const item of items) {
    const need = ELEMENT + item[0].length + item[1].length;
    if (page.length > 0 && size + need > PAGE) flush();
    page.push(item);
    size += need;
  }
  if (page.length > 0 || level.length === 0) flush();
  while (level.length > 1) {
    const up: [Buffer, number][] = [];
    let branch: [Buffer, Buffer, number][] = [];
    for (const [key, id] of level) {
      if (branch.length > 0 && !fits(branch, [key, Buffer.alloc(0), id])) {
        up.push([branch[0]![0], w.page(0x01, branch, true)]);
        branch = [];
      }
      branch.push([key, Buffer.alloc(0), id]);
    }
    up.push([branch[0]![0], w.page(0x01, branch, true)]);
    level = up;
  }
  return level[0]![1];
}

/** Writes `changes` as revisions 1, 2, ... (one per change) into a raw etcd db file at `path`. */
export function writeEtcdDb(path: string, changes: Iterable<Put>): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    const w = new PageWriter(fd);
    const seen = new Map<string, [number, number]>(); // key -> [createRevision, version]
    let rev = 0;
    const revisions = function* (): Generator<[Buffer, Buffer, number]> {
      for (const c of changes) {
        rev++;
        const key = Buffer.from(c.key);
        if (c.delete) {
          seen.delete(c.key);
          yield [revisionKey(rev, true), keyValue(key, 0, rev, 0, Buffer.alloc(0)), 0];
          continue;
        }
        const [create, version] = seen.get(c.key) ?? [rev, 0];
        seen.set(c.key, [create, version + 1]);
        yield [revisionKey(rev, false), keyValue(key, create, rev, version + 1, c.value), 0];
      }
    };
    const keyRoot = tree(w, revisions());
    const bucket = Buffer.alloc(16);
    bucket.writeBigUInt64LE(BigInt(keyRoot), 0);
    const root = tree(w, [[Buffer.from('key'), bucket, 0x01]]);
    for (const slot of [0, 1]) {
      const m = Buffer.alloc(PAGE);
      m.writeBigUInt64LE(BigInt(slot), 0);
      m.writeUInt16LE(0x04, 8);
      const meta = m.subarray(HEADER, HEADER + 64);
      meta.writeUInt32LE(0xed0cdaed, 0);
      meta.writeUInt32LE(2, 4);
      meta.writeUInt32LE(PAGE, 8);
      meta.writeBigUInt64LE(BigInt(root), 16);
      meta.writeBigUInt64LE(0xffffffffffffffffn, 32); // no freelist recorded
      meta.writeBigUInt64LE(BigInt(w.pages), 40);
      meta.writeBigUInt64LE(BigInt(1 + slot), 48);
      meta.writeBigUInt64LE(fnv64a(meta.subarray(0, 56)), 56);
      writeSync(fd, m, 0, PAGE, slot * PAGE);
    }
  } finally {
    closeSync(fd);
  }
}
