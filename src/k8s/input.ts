// What people pipe into `decode`, told apart from the bytes: a stored value (maybe with etcdctl's trailing newline),
// `etcdctl get` output (key line, value line, repeated), `etcdctl get -w json`, or base64 of a value.
import { z } from 'zod';
import { parseUntrusted } from '../errors/problems.js';
import { K8S_MAGIC } from './envelope.js';

export type InputForm = 'value' | 'value+newline' | 'etcdctl-get' | 'etcdctl-json' | 'base64';

export interface InputValue {
  key?: string;
  /** undefined: the kv had no value (etcdctl get --keys-only). */
  value?: Buffer;
  modRevision?: number;
  /** The same value without its last byte, tried when `value` does not decode fully (a trailing '\n' that may be etcdctl's). */
  withoutNewline?: Buffer;
}

export interface ParsedInput {
  form: InputForm;
  values: InputValue[];
}

export const FORM_TEXT: Record<InputForm, string> = {
  value: 'one stored value',
  'value+newline': "one stored value with etcdctl's trailing newline (dropped)",
  'etcdctl-get': "'etcdctl get' output (key line, value)",
  'etcdctl-json': "'etcdctl get -w json' output",
  base64: 'base64 of a stored value',
};

const NL = 0x0a;
const ENC = Buffer.from('k8s:enc:');
const startsWith = (buf: Buffer, at: number, want: Uint8Array) =>
  buf.length - at >= want.length && buf.compare(want, 0, want.length, at, at + want.length) === 0;

/** A value Kubernetes could have stored starts here: protobuf envelope, encrypted, or JSON. */
function valueStarts(buf: Buffer, at: number): boolean {
  return startsWith(buf, at, K8S_MAGIC) || startsWith(buf, at, ENC) || buf[at] === 0x7b || buf[at] === 0x5b;
}

function varint(buf: Buffer, at: number): [number, number] | undefined {
  let n = 0;
  for (let i = 0, pos = at; i < 8 && pos < buf.length; i++, pos++) {
    n += (buf[pos]! & 0x7f) * 2 ** (7 * i);
    if ((buf[pos]! & 0x80) === 0) return [n, pos + 1];
  }
  return undefined;
}

/**
 * Where the runtime.Unknown envelope at `at` ends: fields 1..4, each length-delimited, in ascending order (how
 * Kubernetes marshals it). A field number that does not ascend (etcdctl's '\n' reads as field 1) is past the end.
 */
export function envelopeEnd(buf: Buffer, at: number): number | undefined {
  let pos = at + 4;
  let last = 0;
  while (pos < buf.length) {
    const tag = varint(buf, pos);
    if (!tag) return undefined;
    const [num, wire] = [Math.floor(tag[0] / 8), tag[0] & 7];
    if (wire !== 2 || num <= last || num > 4) return pos;
    const len = varint(buf, tag[1]);
    if (!len || len[1] + len[0] > buf.length) return undefined;
    pos = len[1] + len[0];
    last = num;
  }
  return pos;
}

/** Where the JSON text at `at` ends (its closing bracket + 1), strings and escapes respected. */
function jsonEnd(buf: Buffer, at: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = at; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/** A key line as etcdctl prints it: starts with '/', no control characters. */
function keyLineEnd(buf: Buffer, at: number): number | undefined {
  if (buf[at] !== 0x2f) return undefined;
  for (let i = at; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === NL) return i;
    if (c < 0x20 || c === 0x7f) return undefined;
  }
  return undefined;
}

/** `etcdctl get` simple output: KEY '\n' VALUE '\n', repeated. Undefined when the bytes are not that. */
export function parseEtcdctlGet(buf: Buffer): InputValue[] | undefined {
  const out: InputValue[] = [];
  // One generator of candidate value ends per pair; backtracks only past values that are not self-delimiting.
  const open: { key: string; start: number; ends: Generator<number> }[] = [];
  let at = 0;
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    if (at === buf.length) return out.length > 0 ? out : undefined;
    const keyEnd = keyLineEnd(buf, at);
    if (keyEnd !== undefined)
      open.push({
        key: buf.toString('utf8', at, keyEnd),
        start: keyEnd + 1,
        ends: valueEnds(buf, keyEnd + 1),
      });
    let next: number | undefined;
    while (open.length > 0 && next === undefined) {
      const top = open[open.length - 1]!;
      const n = top.ends.next();
      if (n.done) open.pop();
      else {
        next = n.value;
        out.length = open.length - 1;
        out.push({ key: top.key, value: buf.subarray(top.start, next) });
      }
    }
    if (next === undefined) return undefined;
    at = next + 1;
  }
  return undefined;
}

const MAX_STEPS = 1_000_000;

/** Candidate ends of a value starting at `start` (each followed by the '\n' etcdctl prints after it). */
function* valueEnds(buf: Buffer, start: number): Generator<number> {
  const structural = startsWith(buf, start, K8S_MAGIC)
    ? envelopeEnd(buf, start)
    : buf[start] === 0x7b || buf[start] === 0x5b
      ? jsonEnd(buf, start)
      : undefined;
  if (structural !== undefined) {
    // The value may itself end in newlines (json.Encoder writes one): the last before the next key is etcdctl's.
    let end = structural;
    while (buf[end] === NL && buf[end + 1] === NL) end++;
    if (buf[end] === NL) yield end;
    return;
  }
  // Encrypted or plain bytes: any newline after which the rest is more pairs (or nothing).
  for (let i = buf.indexOf(NL, start); i >= 0; i = buf.indexOf(NL, i + 1))
    if (i + 1 === buf.length || buf[i + 1] === 0x2f) yield i;
}

const etcdctlJsonSchema = z.object({
  header: z.unknown().refine((h) => h !== undefined),
  kvs: z.array(
    z.object({
      key: z.string().optional(),
      value: z.string().optional(),
      mod_revision: z.number().int().nonnegative().optional(),
    }),
  ),
});

function etcdctlJson(buf: Buffer): InputValue[] | undefined {
  const first = buf.subarray(0, 64).toString('utf8').trimStart()[0];
  if (first !== '{') return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
  const looks = typeof doc === 'object' && doc !== null && 'kvs' in doc && 'header' in doc;
  if (!looks) return undefined;
  const j = parseUntrusted(
    etcdctlJsonSchema,
    doc,
    "decode: the 'etcdctl get -w json' input",
    "pipe etcdctl's output unchanged (keys and values are base64 strings)",
  );
  return j.kvs.map((kv) => ({
    ...(kv.key === undefined ? {} : { key: Buffer.from(kv.key, 'base64').toString('utf8') }),
    ...(kv.value === undefined ? {} : { value: Buffer.from(kv.value, 'base64') }),
    ...(kv.mod_revision === undefined ? {} : { modRevision: kv.mod_revision }),
  }));
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Base64 text whose bytes are a value Kubernetes stores (so plain text that happens to be base64 stays text). */
export function fromBase64(buf: Buffer, force = false): Buffer | undefined {
  const text = buf.toString('latin1').replace(/\s+/g, '');
  if (text.length === 0 || !(force ? /^[A-Za-z0-9+/=_-]+$/ : BASE64).test(text)) return undefined;
  if (!force && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return force || valueStarts(bytes, 0) ? bytes : undefined;
}

/** Tells the input form from the bytes; `base64` forces base64 (undefined then: not base64). */
export function parseInput(buf: Buffer, base64 = false): ParsedInput | undefined {
  if (base64) {
    const value = fromBase64(buf, true);
    return value ? { form: 'base64', values: [{ value }] } : undefined;
  }
  const json = etcdctlJson(buf);
  if (json) return { form: 'etcdctl-json', values: json };
  if (valueStarts(buf, 0)) return single(buf);
  const pairs = parseEtcdctlGet(buf);
  if (pairs) return { form: 'etcdctl-get', values: pairs };
  const decoded = fromBase64(buf);
  if (decoded) return { form: 'base64', values: [{ value: decoded }] };
  return { form: 'value', values: [{ value: buf }] };
}

function single(buf: Buffer): ParsedInput {
  if (startsWith(buf, 0, K8S_MAGIC)) {
    const end = envelopeEnd(buf, 0);
    if (end === buf.length - 1 && buf[end] === NL)
      return { form: 'value+newline', values: [{ value: buf.subarray(0, end) }] };
  } else if (buf[buf.length - 1] === NL && startsWith(buf, 0, ENC))
    // Ciphertext is not self-delimiting: decryption tells whether the newline is the value's or etcdctl's.
    return { form: 'value', values: [{ value: buf, withoutNewline: buf.subarray(0, buf.length - 1) }] };
  return { form: 'value', values: [{ value: buf }] };
}
