// CRD schema unions whose JSON is "one of" (apiextensions JSONSchemaPropsOr{Array,Bool,StringArray}).
import { readFields, asBool, str, WIRE, Writer, utf8Bytes } from './wire.js';

type Obj = Record<string, unknown>;
type EncodeFn = (msg: string, obj: Obj, path: string) => Uint8Array;
type DecodeFn = (msg: string, buf: Uint8Array, start: number, end: number) => Obj;

const SPECIAL = /^(apiextensions\.v1(?:beta1)?\.JSONSchemaProps)Or(?:Array|Bool|StringArray)$/;
export const isSpecial = (name: string): boolean => SPECIAL.test(name);
/** The JSONSchemaProps message of the same API version as the union. */
const propsOf = (name: string): string => SPECIAL.exec(name)![1]!;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function encodeSpecial(name: string, v: unknown, path: string, enc: EncodeFn): Uint8Array {
  const w = new Writer();
  const PROPS = propsOf(name);
  if (name.endsWith('OrBool')) {
    w.tag(1, WIRE.varint);
    w.varint(typeof v === 'boolean' ? (v ? 1 : 0) : 1); // a schema means "allowed"
    if (isObj(v)) w.lenDelimited(2, enc(PROPS, v, path));
  } else if (Array.isArray(v)) {
    for (const item of v) {
      if (name.endsWith('OrStringArray')) w.lenDelimited(2, utf8Bytes(String(item)));
      else w.lenDelimited(2, enc(PROPS, isObj(item) ? item : {}, path));
    }
  } else if (isObj(v)) w.lenDelimited(1, enc(PROPS, v, path));
  return w.finish();
}

export function decodeSpecial(
  name: string,
  buf: Uint8Array,
  start: number,
  end: number,
  dec: DecodeFn,
): unknown {
  let schema: Obj | undefined;
  const list: unknown[] = [];
  let allows = false;
  const PROPS = propsOf(name);
  for (const f of readFields(buf, start, end)) {
    if (name.endsWith('OrBool')) {
      if (f.num === 1 && f.wire === WIRE.varint) allows = asBool(f);
      if (f.num === 2 && f.wire === WIRE.len) schema = dec(PROPS, buf, f.start, f.end);
    } else if (f.num === 1 && f.wire === WIRE.len) schema = dec(PROPS, buf, f.start, f.end);
    else if (f.num === 2 && f.wire === WIRE.len)
      list.push(name.endsWith('OrStringArray') ? str(buf, f) : dec(PROPS, buf, f.start, f.end));
  }
  if (name.endsWith('OrBool')) return schema ?? allows;
  if (list.length > 0) return list;
  return schema ?? null;
}
