// JSON-form Kubernetes object -> the exact bytes kube-apiserver stores in etcd with protobuf storage.
import { badInput } from '../errors/error.js';
import { BuiltinError, encodeBuiltin } from './builtins.js';
import { K8S_MAGIC } from './envelope.js';
import { kindFor, message } from './schema/index.js';
import type { Builtin, Field } from './schema/types.js';
import { encodeSpecial, isSpecial } from './special.js';
import { utf8Bytes, WIRE, Writer } from './wire.js';

type Obj = Record<string, unknown>;

class EncodeError extends Error {}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's sort.Strings order: bytewise on UTF-8. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Names of the JSON keys a message accepts, with inline members expanded. */
function jsonKeys(msgName: string, out = new Set<string>()): Set<string> {
  for (const f of message(msgName).fields) {
    if (f.json === 'inline') jsonKeys(f.type, out);
    else out.add(f.name);
  }
  return out;
}

function scalar(w: Writer, f: Field, v: unknown, path: string): void {
  switch (f.type) {
    case 's':
      if (typeof v !== 'string') throw new EncodeError(`${path}: expected a string`);
      return w.lenDelimited(f.num, utf8Bytes(v));
    case 'by':
      if (typeof v !== 'string') throw new EncodeError(`${path}: expected base64 bytes`);
      return w.lenDelimited(f.num, Buffer.from(v, 'base64'));
    case 'b':
      if (typeof v !== 'boolean') throw new EncodeError(`${path}: expected a boolean`);
      w.tag(f.num, WIRE.varint);
      return w.varint(v ? 1 : 0);
    case 'f64':
      if (typeof v !== 'number') throw new EncodeError(`${path}: expected a number`);
      return w.double(f.num, v);
    default: {
      const big = typeof v === 'bigint' && (f.type === 'i64' || f.type === 'u64');
      if (!big && (typeof v !== 'number' || !Number.isInteger(v)))
        throw new EncodeError(`${path}: expected an integer`);
      w.tag(f.num, WIRE.varint);
      return w.varint(v as number | bigint);
    }
  }
}

const ZERO: Record<string, unknown> = { s: '', b: false, f64: 0, i32: 0, i64: 0, u32: 0, u64: 0, u8: 0 };

function value(w: Writer, f: Field, v: unknown, path: string): void {
  if (f.kind === 'scalar') return scalar(w, f, v, path);
  if (f.kind === 'builtin') {
    try {
      return w.lenDelimited(f.num, encodeBuiltin(f.type as Builtin, v));
    } catch (err) {
      if (err instanceof BuiltinError) throw new EncodeError(`${path}: ${err.message}`);
      throw err;
    }
  }
  if (isSpecial(f.type)) return w.lenDelimited(f.num, encodeSpecial(f.type, v, path, encodeMessage));
  const m = message(f.type);
  if (m.wrap)
    return w.lenDelimited(f.num, encodeMessage(f.type, v == null ? {} : { [m.fields[0]!.name]: v }, path));
  if (v !== undefined && !isObj(v)) throw new EncodeError(`${path}: expected an object`);
  w.lenDelimited(f.num, encodeMessage(f.type, v ?? {}, path));
}

function mapEntry(w: Writer, f: Field, key: string, v: unknown, path: string): void {
  const e = new Writer();
  e.lenDelimited(1, utf8Bytes(key));
  if (!(f.type === 'by' && (v === null || v === undefined)))
    value(e, { ...f, num: 2, map: false, ptr: false }, v, `${path}.${key}`);
  w.lenDelimited(f.num, e.finish());
}

/** Encodes one message from its JSON object; unknown keys are an error (like strict field validation). */
export function encodeMessage(
  msgName: string,
  obj: Obj,
  path = '',
  skip: readonly string[] = [],
): Uint8Array {
  const known = jsonKeys(msgName);
  for (const key of Object.keys(obj)) {
    if (!known.has(key) && !skip.includes(key))
      throw new EncodeError(`${path ? path + '.' : ''}${key}: unknown field for ${msgName}`);
  }
  const w = new Writer();
  for (const f of message(msgName).wireOrder) {
    const p = path ? `${path}.${f.name}` : f.name;
    if (f.json === 'inline') {
      const sub: Obj = {};
      for (const k of jsonKeys(f.type)) if (k in obj) sub[k] = obj[k];
      w.lenDelimited(f.num, encodeMessage(f.type, sub, path));
      continue;
    }
    const v = obj[f.name];
    if (f.map) {
      if (v === undefined || v === null) continue;
      if (!isObj(v)) throw new EncodeError(`${p}: expected a map`);
      for (const k of Object.keys(v).sort(byteOrder)) mapEntry(w, f, k, v[k], p);
    } else if (f.repeated) {
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) throw new EncodeError(`${p}: expected a list`);
      v.forEach((item, i) => value(w, f, item, `${p}[${i}]`));
    } else if (f.ptr || f.type === 'by') {
      if (v !== undefined && v !== null) value(w, f, v, p);
    } else if (f.kind === 'scalar') {
      value(w, f, v ?? ZERO[f.type], p);
    } else if (f.kind === 'message' && message(f.type).wrap) {
      if (v !== undefined && v !== null) value(w, f, v, p); // a nil named slice is not written
    } else {
      value(w, f, v ?? undefined, p);
    }
  }
  return w.finish();
}

/** runtime.Unknown envelope bytes with the `k8s\0` prefix around an already-encoded typed object. */
export function wrapUnknown(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const tm = new Writer();
  tm.lenDelimited(1, utf8Bytes(apiVersion));
  tm.lenDelimited(2, utf8Bytes(kind));
  const w = new Writer();
  w.raw(K8S_MAGIC);
  w.lenDelimited(1, tm.finish());
  w.lenDelimited(2, raw);
  w.lenDelimited(3, new Uint8Array(0)); // contentEncoding ""
  w.lenDelimited(4, new Uint8Array(0)); // contentType ""
  return w.finish();
}

/**
 * Encodes a Kubernetes object (JSON form: apiVersion, kind, metadata, ...) as kube-apiserver stores it.
 * No API defaulting is applied: pass the object as the apiserver would hold it after defaults.
 */
export function encodeStoredObject(obj: Record<string, unknown>): Uint8Array {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string')
    throw badInput('encode: object needs string apiVersion and kind');
  const info = kindFor(apiVersion, kind);
  if (!info)
    throw badInput(
      `encode: no protobuf schema for ${apiVersion} ${kind}`,
      'store it as JSON (custom resources are stored as JSON)',
    );
  try {
    return wrapUnknown(apiVersion, kind, encodeMessage(info.message, obj, '', ['apiVersion', 'kind']));
  } catch (err) {
    if (err instanceof EncodeError) throw badInput(`encode ${kind}: ${err.message}`);
    throw err;
  }
}
