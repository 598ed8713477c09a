// Schema-less view of protobuf bytes (like `protoc --decode_raw`), for kinds we have no table for.
import { int64Exact, readFields, strictUtf8, WIRE } from './wire.js';

type Obj = Record<string, unknown>;

const printable = (s: string): boolean => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/.test(s);

function payload(buf: Uint8Array, start: number, end: number, depth: number): unknown {
  const bytes = buf.subarray(start, end);
  const text = strictUtf8(bytes);
  if (text !== undefined && printable(text)) return text;
  if (depth < 32 && end > start) {
    try {
      return rawFields(buf, start, end, depth + 1);
    } catch {
      // not a message: show the bytes
    }
  }
  return { base64: Buffer.from(bytes).toString('base64') };
}

/** Field number -> value (a list when the field repeats); throws WireError if the bytes are not a message. */
export function rawFields(buf: Uint8Array, start = 0, end = buf.length, depth = 0): Obj {
  const out: Obj = {};
  for (const f of readFields(buf, start, end)) {
    let v: unknown;
    if (f.wire === WIRE.varint) v = int64Exact(f);
    else if (f.wire === WIRE.len) v = payload(buf, f.start, f.end, depth);
    else v = { fixed: Buffer.from(buf.subarray(f.start, f.end)).toString('hex') };
    const k = String(f.num);
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev))
      prev.push(v); // single values are never arrays, so an array means "repeated"
    else out[k] = [prev, v];
  }
  return out;
}
