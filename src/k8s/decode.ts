// Typed protobuf message -> the JSON object Kubernetes would show, driven by the same schema table as encode.
import { builtinIsZero, decodeBuiltin } from './builtins.js';
import { message } from './schema/index.js';
import type { Builtin, Field } from './schema/types.js';
import { decodeSpecial, isSpecial } from './special.js';
import {
  asBool,
  asDouble,
  asInt32,
  int64Exact,
  uint64Exact,
  readFields,
  Reader,
  str,
  WIRE,
  WireError,
  type RawField,
} from './wire.js';

type Obj = Record<string, unknown>;

const MAX_DEPTH = 64;

function expectWire(f: RawField, want: number, field: Field, msg: string): void {
  if (f.wire !== want)
    throw new WireError(`${msg}.${field.name || field.num}: wire type ${f.wire}, schema expects ${want}`);
}

function scalarWire(type: string): number {
  return type === 's' || type === 'by' ? WIRE.len : type === 'f64' ? WIRE.fixed64 : WIRE.varint;
}

function scalarValue(type: string, buf: Uint8Array, f: RawField): unknown {
  switch (type) {
    case 's':
      return str(buf, f);
    case 'by':
      return Buffer.from(buf.subarray(f.start, f.end)).toString('base64');
    case 'b':
      return asBool(f);
    case 'i32':
      return asInt32(f);
    case 'f64':
      return asDouble(f);
    case 'u32':
    case 'u8':
      return f.lo;
    case 'u64':
      return uint64Exact(f);
    default:
      return int64Exact(f);
  }
}

const ZERO: Record<string, unknown> = { s: '', b: false, f64: 0, i32: 0, i64: 0, u32: 0, u64: 0, u8: 0 };

function one(field: Field, buf: Uint8Array, f: RawField, msg: string, depth: number): unknown {
  if (field.kind === 'scalar') {
    expectWire(f, scalarWire(field.type), field, msg);
    return scalarValue(field.type, buf, f);
  }
  expectWire(f, WIRE.len, field, msg);
  if (field.kind === 'builtin') return decodeBuiltin(field.type as Builtin, buf, f.start, f.end);
  if (isSpecial(field.type))
    return decodeSpecial(field.type, buf, f.start, f.end, (m, b, s, e) =>
      decodeMessage(m, b, s, e, depth + 1),
    );
  if (message(field.type).wrap)
    return unwrap(field.type, decodeMessage(field.type, buf, f.start, f.end, depth + 1));
  return decodeMessage(field.type, buf, f.start, f.end, depth + 1);
}

/** A Go named slice or map (ExtraValue, Verbs): on the wire a message, in JSON its one field's value. */
function unwrap(type: string, m: Obj): unknown {
  const inner = message(type).fields[0]!;
  return m[inner.name] ?? (inner.map ? {} : []);
}

/** Repeated scalars may arrive packed (one length-delimited run) or one per field. */
function repeated(field: Field, buf: Uint8Array, fs: RawField[], msg: string, depth: number): unknown[] {
  const out: unknown[] = [];
  for (const f of fs) {
    if (field.kind === 'scalar' && f.wire === WIRE.len && scalarWire(field.type) !== WIRE.len) {
      const r = new Reader(buf, f.start, f.end);
      while (!r.done()) {
        const [lo, hi] = field.type === 'f64' ? fixed64(r) : r.varint2();
        out.push(scalarValue(field.type, buf, { num: f.num, wire: 0, lo, hi, start: 0, end: 0 }));
      }
    } else out.push(one(field, buf, f, msg, depth));
  }
  return out;
}

function fixed64(r: Reader): [number, number] {
  if (r.end - r.pos < 8) throw new WireError('truncated packed double');
  const dv = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 8);
  r.pos += 8;
  return [dv.getUint32(0, true), dv.getUint32(4, true)];
}

function mapValue(field: Field, buf: Uint8Array, fs: RawField[], msg: string, depth: number): Obj {
  const out: Obj = {};
  const valueField: Field = { ...field, map: false, num: 2 };
  for (const entry of fs) {
    expectWire(entry, WIRE.len, field, msg);
    let key = '';
    let val: unknown = field.kind === 'scalar' ? (field.type === 'by' ? null : ZERO[field.type]) : undefined;
    for (const kv of readFields(buf, entry.start, entry.end)) {
      if (kv.num === 1 && kv.wire === WIRE.len) key = str(buf, kv);
      else if (kv.num === 2) val = one(valueField, buf, kv, msg, depth);
    }
    if (val === undefined) val = emptyValue(field, depth);
    out[key] = val;
  }
  return Object.fromEntries(
    Object.entries(out).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
  );
}

function emptyValue(field: Field, depth: number): unknown {
  if (field.kind === 'builtin') return decodeBuiltin(field.type as Builtin, new Uint8Array(0), 0, 0);
  if (isSpecial(field.type)) return null;
  if (message(field.type).wrap) return unwrap(field.type, {}); // a map value Go makes as an empty non-nil slice
  return decodeMessage(field.type, new Uint8Array(0), 0, 0, depth + 1);
}

function isEmptyScalar(v: unknown): boolean {
  return v === '' || v === false || v === 0 || v === null;
}

/** A field on the wire the schema does not know (a newer Kubernetes, or damage): kept, not dropped silently. */
export interface UnknownField {
  message: string;
  field: number;
  wire: number;
  /** The varint as digits, or the payload in base64. */
  value: string;
}

let sink: UnknownField[] | undefined;

function keepUnknown(msg: string, fs: RawField[], buf: Uint8Array): void {
  for (const f of fs) {
    // An empty or zero field carries nothing (proto3: same as absent), e.g. the removed clusterName "".
    if (f.wire === WIRE.len ? f.end === f.start : f.lo === 0 && f.hi === 0) continue;
    const value =
      f.wire === WIRE.varint
        ? String(uint64Exact(f))
        : Buffer.from(buf.subarray(f.start, f.end)).toString('base64');
    sink!.push({ message: msg, field: f.num, wire: f.wire, value });
  }
}

/** decodeMessage, also returning every wire field the schema has no entry for. */
export function decodeTyped(msgName: string, buf: Uint8Array): { object: Obj; unknown: UnknownField[] } {
  const prev = sink;
  sink = [];
  try {
    const object = decodeMessage(msgName, buf);
    return { object, unknown: sink };
  } finally {
    sink = prev;
  }
}

/** Decodes one message of the named schema type into JSON key order (Go struct order). */
export function decodeMessage(msgName: string, buf: Uint8Array, start = 0, end = buf.length, depth = 0): Obj {
  if (depth > MAX_DEPTH) throw new WireError('message nesting too deep');
  const msg = message(msgName);
  const byNum = new Map<number, RawField[]>();
  for (const f of readFields(buf, start, end)) {
    const list = byNum.get(f.num);
    if (list) list.push(f);
    else byNum.set(f.num, [f]);
  }
  if (sink) for (const [num, fs] of byNum) if (!msg.byNum.has(num)) keepUnknown(msgName, fs, buf);
  const out: Obj = {};
  for (const field of msg.fields) {
    const fs = byNum.get(field.num) ?? [];
    const last = fs[fs.length - 1];
    if (field.json === 'inline') {
      Object.assign(out, last ? one(field, buf, last, msgName, depth) : emptyValue(field, depth));
      continue;
    }
    if (field.map || field.repeated) {
      const v = field.map
        ? mapValue(field, buf, fs, msgName, depth)
        : repeated(field, buf, fs, msgName, depth);
      const empty = Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
      if (!empty) out[field.name] = v;
      else if (field.json === 'always') out[field.name] = null;
      continue;
    }
    if (field.ptr) {
      if (last) out[field.name] = one(field, buf, last, msgName, depth);
      continue;
    }
    if (field.kind === 'scalar') {
      // An absent bytes field is a nil slice (null); present but empty is "" (Go allocates it on decode).
      const v = last ? one(field, buf, last, msgName, depth) : field.type === 'by' ? null : ZERO[field.type];
      if (field.json === 'always' || !isEmptyScalar(v)) out[field.name] = v;
      continue;
    }
    if (field.kind === 'message' && message(field.type).wrap) {
      // Named slices and maps are written only when non-nil: absent is null.
      if (last) out[field.name] = one(field, buf, last, msgName, depth);
      else if (field.json === 'always') out[field.name] = null;
      continue;
    }
    const v = last ? one(field, buf, last, msgName, depth) : emptyValue(field, depth);
    if (field.json === 'omitzero' && field.kind === 'builtin' && builtinIsZero(field.type as Builtin, v))
      continue;
    out[field.name] = v;
  }
  return out;
}
