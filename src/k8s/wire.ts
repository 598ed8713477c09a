// Minimal protobuf wire codec: varints, length-delimited fields, fixed32/64; no dependencies.
export const WIRE = { varint: 0, fixed64: 1, len: 2, fixed32: 5 } as const;

export class WireError extends Error {}

const TWO32 = 4294967296;

/** One raw field as read from the wire; numeric varints kept as lo/hi halves to keep int64 sign. */
export interface RawField {
  num: number;
  wire: number;
  lo: number; // varint low 32 bits (unsigned) or fixed value low word
  hi: number; // varint high 32 bits (unsigned)
  start: number; // payload start for length-delimited
  end: number; // payload end
}

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  /** Reads a varint as unsigned lo/hi 32-bit halves. */
  varint2(): [number, number] {
    let lo = 0;
    let hi = 0;
    const b = this.buf;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const byte = b[this.pos++]!;
      const v = byte & 0x7f;
      if (shift < 28) lo |= v << shift;
      else if (shift === 28) {
        lo |= (v & 0x0f) << 28;
        hi |= v >> 4;
      } else hi |= v << (shift - 32);
      if ((byte & 0x80) === 0) return [lo >>> 0, hi >>> 0];
    }
    throw new WireError('varint longer than 10 bytes');
  }
  /** Varint as a non-negative JS number (lengths, tags); rejects values beyond 2^53. */
  uint(): number {
    const [lo, hi] = this.varint2();
    if (hi > 0x1fffff) throw new WireError('varint too large');
    return hi * TWO32 + lo;
  }
  field(): RawField {
    const tag = this.uint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    if (num === 0) throw new WireError('field number 0');
    const f: RawField = { num, wire, lo: 0, hi: 0, start: this.pos, end: this.pos };
    switch (wire) {
      case WIRE.varint: {
        [f.lo, f.hi] = this.varint2();
        break;
      }
      case WIRE.fixed64:
        this.need(8);
        f.lo = readU32(this.buf, this.pos);
        f.hi = readU32(this.buf, this.pos + 4);
        this.pos += 8;
        break;
      case WIRE.len: {
        const n = this.uint();
        if (n > this.end - this.pos) throw new WireError(`field ${num}: length ${n} runs past the end`);
        f.start = this.pos;
        f.end = this.pos + n;
        this.pos += n;
        break;
      }
      case WIRE.fixed32:
        this.need(4);
        f.lo = readU32(this.buf, this.pos);
        this.pos += 4;
        break;
      default:
        throw new WireError(`field ${num}: unsupported wire type ${wire}`);
    }
    f.end = wire === WIRE.len ? f.end : this.pos;
    return f;
  }
  private need(n: number): void {
    if (this.end - this.pos < n) throw new WireError('truncated fixed-width field');
  }
}

function readU32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** Reads every field of a message; throws WireError on malformed input. */
export function readFields(buf: Uint8Array, start = 0, end = buf.length): RawField[] {
  const r = new Reader(buf, start, end);
  const out: RawField[] = [];
  while (!r.done()) out.push(r.field());
  return out;
}

export function asInt64(f: Pick<RawField, 'lo' | 'hi'>): number {
  if (f.hi & 0x80000000) return -((~f.hi >>> 0) * TWO32 + (~f.lo >>> 0) + 1);
  return f.hi * TWO32 + f.lo;
}
export const asUint64 = (f: Pick<RawField, 'lo' | 'hi'>): number => f.hi * TWO32 + f.lo;

/** int64 without loss: a number when it is a safe integer, else a BigInt (printed as digits, see json.ts). */
export function int64Exact(f: Pick<RawField, 'lo' | 'hi'>): number | bigint {
  const n = asInt64(f);
  if (Number.isSafeInteger(n)) return n;
  return BigInt.asIntN(64, (BigInt(f.hi) << 32n) | BigInt(f.lo));
}
export function uint64Exact(f: Pick<RawField, 'lo' | 'hi'>): number | bigint {
  const n = asUint64(f);
  return Number.isSafeInteger(n) ? n : (BigInt(f.hi) << 32n) | BigInt(f.lo);
}
export const asInt32 = (f: Pick<RawField, 'lo'>): number => f.lo | 0;
export const asBool = (f: Pick<RawField, 'lo' | 'hi'>): boolean => f.lo !== 0 || f.hi !== 0;
export function asDouble(f: Pick<RawField, 'lo' | 'hi'>): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, f.lo, true);
  dv.setUint32(4, f.hi, true);
  return dv.getFloat64(0, true);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
export const str = (b: Uint8Array, f: RawField): string => utf8.decode(b.subarray(f.start, f.end));
export function strictUtf8(b: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(b);
  } catch {
    return undefined;
  }
}

/** Growable output buffer for encoding. */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  /** Unsigned varint of a non-negative safe integer. */
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
  /** Signed int32/int64 as protobuf does it: negatives are 10-byte two's complement; BigInt for past 2^53. */
  varint(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0) return this.uvarint(v);
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }
  tag(num: number, wire: number): void {
    this.uvarint(num * 8 + wire);
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  lenDelimited(num: number, b: Uint8Array): void {
    this.tag(num, WIRE.len);
    this.uvarint(b.length);
    this.raw(b);
  }
  double(num: number, v: number): void {
    this.tag(num, WIRE.fixed64);
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v, true);
    this.raw(new Uint8Array(dv.buffer));
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export const utf8Bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
