// The storage envelope: `k8s\0` magic, then runtime.Unknown {typeMeta{apiVersion,kind}, raw,
// contentEncoding, contentType}.
import { readFields, str, WireError } from './wire.js';

export const K8S_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

export const hasMagic = (b: Uint8Array): boolean =>
  b.length >= 4 && b[0] === 0x6b && b[1] === 0x38 && b[2] === 0x73 && b[3] === 0x00;

/** Parses the envelope after the magic; throws WireError when it is not one. */
export function readUnknown(b: Uint8Array): Unknown {
  const out: Unknown = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  for (const f of readFields(b, 4)) {
    if (f.wire !== 2) throw new WireError(`runtime.Unknown field ${f.num} has wire type ${f.wire}`);
    if (f.num === 1) {
      for (const t of readFields(b, f.start, f.end)) {
        if (t.wire !== 2) continue;
        if (t.num === 1) out.apiVersion = str(b, t);
        if (t.num === 2) out.kind = str(b, t);
      }
    } else if (f.num === 2) out.raw = b.subarray(f.start, f.end);
    else if (f.num === 3) out.contentEncoding = str(b, f);
    else if (f.num === 4) out.contentType = str(b, f);
  }
  return out;
}
