// The apimachinery types whose JSON form differs from their protobuf message (Time, Quantity, IntOrString...).
import { jsonDepth, JsonTooDeep } from '../local/bounded-json.js';
import { MAX_VALUE_DEPTH } from './json.js';
import type { Builtin } from './schema/types.js';
import { asInt32, asInt64, readFields, strictUtf8, utf8Bytes, WIRE, Writer, type RawField } from './wire.js';

const GO_ZERO_TIME_SECONDS = -62135596800; // time.Time{}.Unix(): also means "unset"

export class BuiltinError extends Error {}

function field(fields: RawField[], num: number): RawField | undefined {
  let last: RawField | undefined;
  for (const f of fields) if (f.num === num) last = f;
  return last;
}

function rfc3339(seconds: number, micros?: number): string {
  const iso = new Date(seconds * 1000).toISOString(); // 2008-01-01T01:01:01.000Z
  const base = iso.slice(0, 19);
  return micros === undefined ? `${base}Z` : `${base}.${String(micros).padStart(6, '0')}Z`;
}

/** Go's time.Duration.String(). */
export function goDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const neg = nanos < 0;
  let n = Math.abs(nanos);
  let out: string;
  if (n < 1e9) {
    const [unit, div] = n < 1e3 ? ['ns', 1] : n < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    out = `${trimFrac(n / div)}${unit}`;
  } else {
    const h = Math.floor(n / 3.6e12);
    n -= h * 3.6e12;
    const m = Math.floor(n / 6e10);
    n -= m * 6e10;
    out = `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${trimFrac(n / 1e9)}s`;
  }
  return neg ? `-${out}` : out;
}
const trimFrac = (x: number): string => String(Number(x.toFixed(9)));

function parseGoDuration(s: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 };
  const re = /(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)/gy;
  let sign = 1;
  let rest = s;
  if (rest.startsWith('-')) [sign, rest] = [-1, rest.slice(1)];
  if (rest === '0') return 0;
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(rest)) !== null) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== rest.length || pos === 0) throw new BuiltinError(`'${s}' is not a duration`);
  return sign * Math.round(total);
}

function parseTime(v: unknown, micro: boolean): { seconds: number; nanos: number } | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string')
    throw new BuiltinError(`time must be an RFC3339 string, got ${JSON.stringify(v)}`);
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(v);
  if (!m) throw new BuiltinError(`'${v}' is not an RFC3339 time`);
  const seconds = Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000);
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  const nanos = micro ? Math.floor(Number(frac) / 1000) * 1000 : 0; // Time keeps seconds only
  return { seconds, nanos };
}

/** Protobuf message bytes -> JSON value, as Kubernetes' JSON marshalling shows it. */
export function decodeBuiltin(type: Builtin, buf: Uint8Array, start: number, end: number): unknown {
  const fields = readFields(buf, start, end);
  switch (type) {
    case 'time':
    case 'mtime': {
      if (fields.length === 0) return null;
      const s = field(fields, 1);
      const n = field(fields, 2);
      const seconds = s ? asInt64(s) : 0;
      if (seconds === GO_ZERO_TIME_SECONDS && !n?.lo) return null;
      return type === 'time' ? rfc3339(seconds) : rfc3339(seconds, Math.floor((n ? asInt32(n) : 0) / 1000));
    }
    case 'dur': {
      const d = field(fields, 1);
      return goDuration(d ? asInt64(d) : 0);
    }
    case 'qty': {
      const s = field(fields, 1);
      return s ? new TextDecoder().decode(buf.subarray(s.start, s.end)) : '0';
    }
    case 'ios': {
      const t = field(fields, 1);
      const i = field(fields, 2);
      const s = field(fields, 3);
      if (t && asInt64(t) === 1) return s ? new TextDecoder().decode(buf.subarray(s.start, s.end)) : '';
      return i ? asInt32(i) : 0;
    }
    case 'raw': {
      const r = field(fields, 1);
      if (!r || r.end === r.start) return null;
      const bytes = buf.subarray(r.start, r.end);
      const text = strictUtf8(bytes);
      if (text !== undefined) {
        if (jsonDepth(text, MAX_VALUE_DEPTH) > MAX_VALUE_DEPTH) throw new JsonTooDeep(MAX_VALUE_DEPTH);
        try {
          return JSON.parse(text) as unknown;
        } catch {
          // not JSON (e.g. an embedded protobuf): fall through to base64
        }
      }
      return Buffer.from(bytes).toString('base64');
    }
  }
}

/** True when the JSON value is the Go zero value of the builtin (for omitzero). */
export function builtinIsZero(type: Builtin, v: unknown): boolean {
  if (type === 'time' || type === 'mtime' || type === 'raw') return v === null;
  return false;
}

/** JSON value -> protobuf message bytes, exactly as Kubernetes marshals it. */
export function encodeBuiltin(type: Builtin, v: unknown): Uint8Array {
  const w = new Writer();
  switch (type) {
    case 'time':
    case 'mtime': {
      const t = parseTime(v, type === 'mtime');
      if (t) {
        w.tag(1, WIRE.varint);
        w.varint(t.seconds);
        w.tag(2, WIRE.varint);
        w.varint(t.nanos);
      }
      break;
    }
    case 'dur':
      w.tag(1, WIRE.varint);
      w.varint(v === undefined || v === null ? 0 : parseGoDuration(String(v)));
      break;
    case 'qty':
      w.lenDelimited(1, utf8Bytes(v === undefined || v === null ? '0' : String(v)));
      break;
    case 'ios': {
      const isStr = typeof v === 'string';
      if (!isStr && v !== undefined && v !== null && typeof v !== 'number')
        throw new BuiltinError(`int-or-string got ${JSON.stringify(v)}`);
      w.tag(1, WIRE.varint);
      w.varint(isStr ? 1 : 0);
      w.tag(2, WIRE.varint);
      w.varint(isStr ? 0 : ((v as number | undefined | null) ?? 0));
      w.lenDelimited(3, utf8Bytes(isStr ? v : ''));
      break;
    }
    case 'raw':
      if (v !== undefined && v !== null) w.lenDelimited(1, utf8Bytes(JSON.stringify(v)));
      break;
  }
  return w.finish();
}
