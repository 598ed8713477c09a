// One stored etcd value -> what it is: a Kubernetes object (protobuf or JSON), encrypted, or plain bytes. Never throws.
import { decodeTyped, type UnknownField } from './decode.js';
import { decryptValue, parseEncryptedPrefix, type KeyRing } from './encryption.js';
import { hasMagic, readUnknown } from './envelope.js';
import { rawFields } from './rawdump.js';
import { kindFor } from './schema/index.js';
import { jsonDepth, JsonTooDeep } from '../local/bounded-json.js';
import { MAX_VALUE_DEPTH, parseExact } from './json.js';
import { strictUtf8 } from './wire.js';

type Obj = Record<string, unknown>;

export type StoredValue =
  | {
      format: 'protobuf';
      apiVersion: string;
      kind: string;
      object: Obj;
      typed: boolean;
      note?: string;
      unknown?: UnknownField[];
    }
  | { format: 'json'; object: unknown }
  | { format: 'encrypted'; provider: string; keyName: string; inner?: StoredValue; note: string }
  | { format: 'raw'; text?: string; base64: string; note?: string };

export interface DecodeOptions {
  /** The key's mod_revision: kube-apiserver shows it as metadata.resourceVersion. */
  modRevision?: number;
  /** The etcd key; AES-GCM uses it as additional authenticated data. */
  key?: string;
  keys?: KeyRing;
}

function raw(b: Uint8Array, note?: string): StoredValue {
  const text = strictUtf8(b);
  return {
    format: 'raw',
    ...(text === undefined ? {} : { text }),
    base64: Buffer.from(b).toString('base64'),
    ...(note ? { note } : {}),
  };
}

function withResourceVersion(obj: unknown, opts: DecodeOptions): void {
  if (opts.modRevision === undefined || typeof obj !== 'object' || obj === null) return;
  const md = (obj as Obj).metadata;
  if (typeof md !== 'object' || md === null || Array.isArray(md)) return;
  // Rebuild so resourceVersion sits where ObjectMeta declares it (after uid).
  const entries = Object.entries(md as Obj).filter(([k]) => k !== 'resourceVersion');
  let at = entries.findIndex(([k]) => AFTER_RV.includes(k));
  if (at < 0) at = entries.length;
  entries.splice(at, 0, ['resourceVersion', String(opts.modRevision)]);
  (obj as Obj).metadata = Object.fromEntries(entries);
}
const AFTER_RV = [
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

function protobuf(b: Uint8Array, opts: DecodeOptions): StoredValue {
  let u;
  try {
    u = readUnknown(b);
  } catch (err) {
    return raw(b, `k8s protobuf envelope is damaged: ${(err as Error).message}`);
  }
  const head = { format: 'protobuf' as const, apiVersion: u.apiVersion, kind: u.kind };
  const info = kindFor(u.apiVersion, u.kind);
  if (info) {
    try {
      const d = decodeTyped(info.message, u.raw);
      const object: Obj = { kind: u.kind, apiVersion: u.apiVersion, ...d.object };
      withResourceVersion(object, opts);
      if (d.unknown.length === 0) return { ...head, object, typed: true };
      const note =
        `${d.unknown.length} field(s) the ${u.apiVersion} ${u.kind} schema does not know, kept in ` +
        `${MARKER}.unknownFields`;
      object[MARKER] = { status: 'partial', why: note, unknownFields: d.unknown };
      return { ...head, object, typed: true, note, unknown: d.unknown };
    } catch (err) {
      const note =
        err instanceof JsonTooDeep
          ? `embedded ${err.message}: raw fields shown`
          : `does not match the ${u.kind} schema (${(err as Error).message}): raw fields shown`;
      return { ...head, object: rawObject(u.apiVersion, u.kind, u.raw, note), typed: false, note };
    }
  }
  const note =
    u.kind === ''
      ? 'k8s protobuf envelope without apiVersion/kind: raw fields shown'
      : `no schema for ${u.apiVersion} ${u.kind}: raw protobuf fields shown`;
  return { ...head, object: rawObject(u.apiVersion, u.kind, u.raw, note), typed: false, note };
}

/** The top-level key that marks an object Lifeboat could not decode fully (a script tests for it). */
export const MARKER = 'lifeboatDecode';

function rawObject(apiVersion: string, kind: string, rawBytes: Uint8Array, why: string): Obj {
  let fields: unknown;
  try {
    fields = rawFields(rawBytes);
  } catch {
    fields = { base64: Buffer.from(rawBytes).toString('base64') };
  }
  return { kind, apiVersion, protobuf: fields, [MARKER]: { status: 'raw', why } };
}

/**
 * Why a value is not a fully decoded object, or undefined when it is one (or plain data, not Kubernetes').
 * Callers count these: the command exits EXIT.incomplete when any value is incomplete.
 */
export function incomplete(v: StoredValue): string | undefined {
  switch (v.format) {
    case 'protobuf':
      return v.typed && !v.unknown ? undefined : v.note;
    case 'encrypted':
      return v.inner ? incomplete(v.inner) : v.note;
    case 'raw':
      return v.note;
    case 'json':
      return undefined;
  }
}

export function decodeStoredValue(b: Uint8Array, opts: DecodeOptions = {}): StoredValue {
  try {
    const enc = parseEncryptedPrefix(b);
    if (enc) {
      const base = { format: 'encrypted' as const, provider: enc.provider, keyName: enc.keyName };
      if (!opts.keys) return { ...base, note: 'encrypted at rest: pass --encryption-config to decrypt' };
      const r = decryptValue(enc, opts.keys, opts.key);
      if (!r.ok) return { ...base, note: r.reason };
      return { ...base, inner: decodeStoredValue(r.plain, opts), note: 'decrypted' };
    }
    if (hasMagic(b)) return protobuf(b, opts);
    const text = strictUtf8(b);
    const first = text?.trimStart()[0];
    if (text !== undefined && (first === '{' || first === '[')) {
      if (jsonDepth(text, MAX_VALUE_DEPTH) > MAX_VALUE_DEPTH)
        return raw(b, `JSON nested more than ${MAX_VALUE_DEPTH} deep: shown as its text, not decoded`);
      try {
        const object = parseExact(text);
        withResourceVersion(object, opts);
        return { format: 'json', object };
      } catch {
        return raw(b, 'looks like JSON but does not parse');
      }
    }
    return raw(b);
  } catch (err) {
    return raw(b, `could not decode: ${(err as Error).message}`);
  }
}

/** The Kubernetes object inside a stored value, if there is one. */
export function objectOf(v: StoredValue): Obj | undefined {
  if (v.format === 'encrypted') return v.inner ? objectOf(v.inner) : undefined;
  if (v.format === 'protobuf') return v.object;
  if (v.format === 'json' && typeof v.object === 'object' && v.object !== null && !Array.isArray(v.object))
    return v.object as Obj;
  return undefined;
}
