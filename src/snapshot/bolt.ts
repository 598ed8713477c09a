// bbolt file reader: meta pages, branch/leaf pages, buckets (inline too), overflow pages, freelist.
import { PageFile, SnapshotError } from './pagefile.js';

export const BOLT_MAGIC = 0xed0cdaed;
const HEADER = 16;
const ELEMENT = 16;
const F_BRANCH = 0x01;
const F_LEAF = 0x02;
const F_META = 0x04;
const F_FREELIST = 0x10;
const BUCKET_LEAF = 0x01;
const NO_FREELIST = 0xffffffffffffffffn;
const MAX_DEPTH = 64;

export interface BoltMeta {
  slot: 0 | 1;
  pageSize: number;
  root: number;
  freelist: number | undefined; // undefined: NoFreelistSync, free pages are not recorded
  hwm: number; // pages in use (high water mark)
  txid: number;
}

/** Where a bucket's tree lives: a page id, or an inline page carried inside the parent's value. */
export type BucketRef = { root: number; inline?: Buffer };

export type LeafVisitor = (key: Buffer, value: Buffer, flags: number) => void;
/** Offsets instead of views: no Buffer objects per entry on hot paths. */
type OffsetVisitor = (buf: Buffer, kOff: number, kLen: number, vLen: number, flags: number) => void;
/** The value head starts at kOff + kLen and is headLen bytes long; vsize is the whole value's size. */
export type HeadVisitor = (buf: Buffer, kOff: number, kLen: number, headLen: number, vsize: number) => void;

const u64 = (b: Buffer, o: number): number => {
  const v = b.readBigUInt64LE(o);
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new SnapshotError(`64-bit value ${v} at offset ${o} is out of range`);
  return Number(v);
};

function fnv64a(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of b) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h;
}

function parseMeta(b: Buffer, slot: 0 | 1): BoltMeta | string {
  if (b.length < HEADER + 64) return 'too short';
  const flags = b.readUInt16LE(8);
  const m = b.subarray(HEADER, HEADER + 64);
  if (m.readUInt32LE(0) !== BOLT_MAGIC) return 'no bbolt magic';
  if (m.readUInt32LE(4) !== 2) return `bbolt version ${m.readUInt32LE(4)} (want 2)`;
  if (flags !== F_META) return 'page is not a meta page';
  if (fnv64a(m.subarray(0, 56)) !== m.readBigUInt64LE(56)) return 'meta checksum mismatch';
  const pageSize = m.readUInt32LE(8);
  if (pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0)
    return `bad page size ${pageSize}`;
  const fl = m.readBigUInt64LE(32);
  return {
    slot,
    pageSize,
    root: u64(m, 16),
    freelist: fl === NO_FREELIST ? undefined : Number(fl),
    hwm: u64(m, 40),
    txid: u64(m, 48),
  };
}

export class Bolt {
  readonly meta: BoltMeta;
  private constructor(
    readonly file: PageFile,
    meta: BoltMeta,
  ) {
    this.meta = meta;
  }

  /** Opens and picks the newer valid meta page; throws SnapshotError when the file is not a bbolt database. */
  static open(file: PageFile): Bolt {
    if (file.size < 1024)
      throw new SnapshotError(
        file.size === 0 ? 'file is empty' : `file is only ${file.size} bytes: not an etcd snapshot`,
      );
    const m0 = parseMeta(file.read(0, Math.min(4096, file.size)), 0);
    const candidates: BoltMeta[] = [];
    if (typeof m0 !== 'string') candidates.push(m0);
    // Meta 1 lives one page further; without a valid meta 0, try the usual page sizes.
    for (const ps of typeof m0 === 'string' ? [4096, 8192, 16384, 65536, 1024, 2048] : [m0.pageSize]) {
      if (file.size < ps + HEADER + 64) continue;
      const m1 = parseMeta(file.read(ps, HEADER + 64), 1);
      if (typeof m1 !== 'string' && m1.pageSize === ps) candidates.push(m1);
    }
    if (candidates.length === 0) {
      const first = file.read(0, Math.min(file.size, HEADER + 4));
      const magic = first.length >= HEADER + 4 ? first.readUInt32LE(HEADER) : 0;
      throw new SnapshotError(
        magic === BOLT_MAGIC
          ? `both bbolt meta pages are damaged (${m0})`
          : 'not an etcd snapshot (no bbolt magic 0xED0CDAED)',
      );
    }
    const meta = candidates.sort((a, b) => b.txid - a.txid)[0]!;
    const bolt = new Bolt(file, meta);
    const need = meta.hwm * meta.pageSize;
    if (file.size < need)
      throw new SnapshotError(
        `truncated: the database needs ${need} bytes (${meta.hwm} pages) but the file has ${file.size}`,
      );
    return bolt;
  }

  /** A page with its overflow pages; the view is valid until the next read. */
  page(id: number, want?: number): { flags: number; count: number; overflow: number; buf: Buffer } {
    const ps = this.meta.pageSize;
    if (!Number.isInteger(id) || id < 2 || id >= this.meta.hwm)
      throw new SnapshotError(`page id ${id} is outside the database (2..${this.meta.hwm - 1})`);
    let buf = this.file.read(id * ps, ps);
    const overflow = buf.readUInt32LE(12);
    if (buf.readBigUInt64LE(0) !== BigInt(id))
      throw new SnapshotError(`page ${id} has id ${buf.readBigUInt64LE(0)} in its header: corrupt`);
    if (id + overflow >= this.meta.hwm)
      throw new SnapshotError(`page ${id} overflows past the end of the database`);
    if (overflow > 0) buf = this.file.read(id * ps, (overflow + 1) * ps);
    const flags = buf.readUInt16LE(8);
    if (want !== undefined && (flags & want) === 0)
      throw new SnapshotError(`page ${id} has flags 0x${flags.toString(16)}, expected a branch or leaf page`);
    return { flags, count: buf.readUInt16LE(10), overflow, buf };
  }

  /** Visits every leaf element of a bucket in key order; the visitor must not read the file. */
  walk(ref: BucketRef, visit: LeafVisitor, onPage?: (id: number, overflow: number) => void): void {
    if (ref.inline) return this.leaf(ref.inline, 'inline bucket', visit);
    const seen = new Set<number>();
    const stack: { id: number; depth: number }[] = [{ id: ref.root, depth: 0 }];
    while (stack.length > 0) {
      const { id, depth } = stack.pop()!;
      if (seen.has(id)) throw new SnapshotError(`page ${id} is referenced twice: corrupt tree`);
      if (depth > MAX_DEPTH) throw new SnapshotError('page tree is deeper than any real database: corrupt');
      seen.add(id);
      const p = this.page(id, F_BRANCH | F_LEAF);
      onPage?.(id, p.overflow);
      if (p.flags === F_LEAF) {
        this.leaf(p.buf, `page ${id}`, visit);
        continue;
      }
      if (p.flags !== F_BRANCH)
        throw new SnapshotError(`page ${id} has flags 0x${p.flags.toString(16)}: corrupt`);
      if (HEADER + p.count * ELEMENT > p.buf.length)
        throw new SnapshotError(`page ${id}: ${p.count} elements do not fit`);
      for (let i = p.count - 1; i >= 0; i--)
        stack.push({ id: u64(p.buf, HEADER + i * ELEMENT + 8), depth: depth + 1 });
    }
  }

  /**
   * Like walk, but the visitor gets only the first `headLen` bytes of each value (and its full size):
   * large values are never read, which is what makes inspect fast on big snapshots.
   */
  walkHeads(ref: BucketRef, visit: HeadVisitor, headLen = 512, roots?: number[]): void {
    const clip: OffsetVisitor = (b, ko, kl, vs) => visit(b, ko, kl, Math.min(vs, headLen), vs);
    if (ref.inline) return this.leafOffsets(ref.inline, 'inline bucket', clip);
    const ps = this.meta.pageSize;
    const hwm = this.meta.hwm;
    const firstLen = Math.min(1024, ps); // header, a small element table and the first value's head
    const first = Buffer.allocUnsafe(ps);
    let extra = Buffer.allocUnsafe(ps);
    const seen = new Set<number>();
    // Parallel stacks of page id and depth: no object per page on this hot path.
    const ids: number[] = roots ? [...roots].reverse() : [ref.root];
    const depths: number[] = ids.map(() => (roots ? 1 : 0));
    while (ids.length > 0) {
      const id = ids.pop()!;
      const depth = depths.pop()!;
      if (seen.has(id)) throw new SnapshotError(`page ${id} is referenced twice: corrupt tree`);
      if (depth > MAX_DEPTH) throw new SnapshotError('page tree is deeper than any real database: corrupt');
      seen.add(id);
      if (!Number.isInteger(id) || id < 2 || id >= hwm)
        throw new SnapshotError(`page id ${id} is outside the database (2..${hwm - 1})`);
      this.file.readInto(id * ps, firstLen, first);
      let have = firstLen;
      const flags = first.readUInt16LE(8);
      const count = first.readUInt16LE(10);
      const overflow = first.readUInt32LE(12);
      if (
        flags === F_LEAF &&
        overflow > 0 &&
        HEADER + count * ELEMENT > have &&
        HEADER + count * ELEMENT <= ps
      ) {
        this.file.readInto(id * ps, ps, first);
        have = ps;
      }
      if (flags !== F_LEAF || overflow === 0 || HEADER + count * ELEMENT > have) {
        // Branch pages, leaves that fit one page, and leaves whose element table spills: the plain path.
        const p = this.page(id, F_BRANCH | F_LEAF);
        if (p.flags === F_LEAF) this.leafOffsets(p.buf, `page ${id}`, clip);
        else if (p.flags === F_BRANCH) {
          if (HEADER + p.count * ELEMENT > p.buf.length)
            throw new SnapshotError(`page ${id}: ${p.count} elements do not fit`);
          for (let i = p.count - 1; i >= 0; i--) {
            ids.push(u64(p.buf, HEADER + i * ELEMENT + 8));
            depths.push(depth + 1);
          }
        } else throw new SnapshotError(`page ${id} has flags 0x${p.flags.toString(16)}: corrupt`);
        continue;
      }
      if (first.readUInt32LE(0) !== id % 4294967296 || first.readUInt32LE(4) !== Math.floor(id / 4294967296))
        throw new SnapshotError(`page ${id} has another id in its header: corrupt`);
      if (id + overflow >= hwm) throw new SnapshotError(`page ${id} overflows past the end of the database`);
      const span = (overflow + 1) * ps;
      for (let i = 0; i < count; i++) {
        const e = HEADER + i * ELEMENT;
        const kstart = e + first.readUInt32LE(e + 4);
        const ksize = first.readUInt32LE(e + 8);
        const vsize = first.readUInt32LE(e + 12);
        if (kstart + ksize + vsize > span)
          throw new SnapshotError(`page ${id}: element ${i} runs past the page`);
        const hl = vsize < headLen ? vsize : headLen;
        if (kstart + ksize + hl <= have) visit(first, kstart, ksize, hl, vsize);
        else {
          if (extra.length < ksize + hl) extra = Buffer.allocUnsafe(ksize + hl);
          this.file.readInto(id * ps + kstart, ksize + hl, extra);
          visit(extra, 0, ksize, hl, vsize);
        }
      }
    }
  }

  /** Child page ids of a bucket's root when it is a branch page (to split a scan), else []. */
  rootChildren(ref: BucketRef): number[] {
    if (ref.inline) return [];
    const p = this.page(ref.root, F_BRANCH | F_LEAF);
    if (p.flags !== F_BRANCH || HEADER + p.count * ELEMENT > p.buf.length) return [];
    return Array.from({ length: p.count }, (_, i) => u64(p.buf, HEADER + i * ELEMENT + 8));
  }

  private leaf(buf: Buffer, where: string, visit: LeafVisitor): void {
    this.leafOffsets(buf, where, (b, ko, kl, vs, f) =>
      visit(b.subarray(ko, ko + kl), b.subarray(ko + kl, ko + kl + vs), f),
    );
  }

  private leafOffsets(buf: Buffer, where: string, visit: OffsetVisitor): void {
    if (buf.length < HEADER) throw new SnapshotError(`${where}: too short`);
    const flags = buf.readUInt16LE(8);
    const count = buf.readUInt16LE(10);
    if (flags !== F_LEAF)
      throw new SnapshotError(`${where}: expected a leaf page, flags 0x${flags.toString(16)}`);
    if (HEADER + count * ELEMENT > buf.length)
      throw new SnapshotError(`${where}: ${count} elements do not fit`);
    for (let i = 0; i < count; i++) {
      const e = HEADER + i * ELEMENT;
      const eflags = buf.readUInt32LE(e);
      const kstart = e + buf.readUInt32LE(e + 4);
      const ksize = buf.readUInt32LE(e + 8);
      const vsize = buf.readUInt32LE(e + 12);
      if (kstart + ksize + vsize > buf.length)
        throw new SnapshotError(`${where}: element ${i} runs past the page`);
      visit(buf, kstart, ksize, vsize, eflags);
    }
  }

  /** Parses a bucket value (16-byte header, then the inline page when root is 0). */
  bucketRef(value: Buffer): BucketRef {
    if (value.length < 16) throw new SnapshotError('bucket header is too short');
    const root = u64(value, 0);
    return root === 0 ? { root, inline: Buffer.from(value.subarray(16)) } : { root };
  }

  /** Top-level buckets by name. */
  buckets(): Map<string, BucketRef> {
    const out = new Map<string, Buffer>();
    this.walk({ root: this.meta.root }, (k, v, flags) => {
      if (flags & BUCKET_LEAF) out.set(k.toString('latin1'), Buffer.from(v));
    });
    return new Map([...out].map(([k, v]) => [k, this.bucketRef(v)]));
  }

  /** Page accounting like `bbolt check`: every page reachable once or free. Returns problems found. */
  check(): string[] {
    const problems: string[] = [];
    const owner = new Map<number, string>();
    const mark = (id: number, overflow: number, what: string) => {
      for (let i = id; i <= id + overflow; i++) {
        const prev = owner.get(i);
        if (prev !== undefined) problems.push(`page ${i} is used by ${prev} and ${what}`);
        owner.set(i, what);
      }
    };
    mark(0, 1, 'meta');
    if (this.meta.freelist !== undefined) {
      const p = this.page(this.meta.freelist);
      if (p.flags !== F_FREELIST)
        problems.push(`freelist page ${this.meta.freelist} has flags 0x${p.flags.toString(16)}`);
      else {
        mark(this.meta.freelist, p.overflow, 'freelist');
        let idx = 0;
        let count = p.count;
        if (count === 0xffff) [idx, count] = [1, u64(p.buf, HEADER)];
        if (HEADER + (idx + count) * 8 > p.buf.length) problems.push('freelist does not fit its page');
        else for (let i = idx; i < idx + count; i++) mark(u64(p.buf, HEADER + i * 8), 0, 'free');
      }
    }
    const walkBucket = (name: string, ref: BucketRef, depth: number) => {
      const nested: [string, BucketRef][] = [];
      let prev: Buffer | undefined;
      let ordered = true;
      this.walk(
        ref,
        (k, v, flags) => {
          // bbolt finds keys by binary search: a bucket whose keys are out of order loses some of them.
          if (ordered && prev && Buffer.compare(prev, k) >= 0) {
            ordered = false;
            problems.push(
              `bucket ${name || '(root)'}: keys out of order at ${k.toString('hex').slice(0, 40)}`,
            );
          }
          prev = Buffer.from(k);
          if (flags & BUCKET_LEAF)
            nested.push([`${name}/${k.toString('latin1')}`, this.bucketRef(Buffer.from(v))]);
        },
        (id, overflow) => mark(id, overflow, `bucket ${name || '(root)'}`),
      );
      if (depth > 8) throw new SnapshotError('buckets nested too deep');
      for (const [n, r] of nested) walkBucket(n, r, depth + 1);
    };
    walkBucket('', { root: this.meta.root }, 0);
    if (this.meta.freelist !== undefined) {
      const missing: number[] = [];
      for (let i = 0; i < this.meta.hwm; i++) if (!owner.has(i)) missing.push(i);
      if (missing.length > 0)
        problems.push(
          `${missing.length} page(s) neither reachable nor free (first: ${missing.slice(0, 5).join(', ')})`,
        );
    }
    return problems;
  }
}
