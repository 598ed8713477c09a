// Encryption at rest: recognise `k8s:enc:<provider>:v1:<key>:` values and decrypt aescbc, aesgcm and secretbox.
import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { badInput } from '../errors/error.js';
import { secretboxOpen } from './secretbox.js';
import { readRegularText } from '../local/input.js';

export interface Encrypted {
  provider: string; // aescbc | aesgcm | secretbox | kms
  version: string;
  keyName: string;
  data: Uint8Array;
}

/** provider -> key name -> key bytes. */
export type KeyRing = Map<string, Map<string, Buffer>>;

const PREFIX = 'k8s:enc:';

export function parseEncryptedPrefix(b: Uint8Array): Encrypted | undefined {
  if (b.length < PREFIX.length || Buffer.from(b.subarray(0, PREFIX.length)).toString('latin1') !== PREFIX)
    return undefined;
  // k8s:enc:<provider>:<version>:<keyName>:<data>; key names cannot contain ':'.
  const parts: string[] = [];
  let pos = PREFIX.length;
  while (parts.length < 3) {
    const i = b.indexOf(0x3a, pos);
    if (i < 0 || i - pos > 256)
      return {
        provider: parts[0] ?? 'unknown',
        version: parts[1] ?? '',
        keyName: '',
        data: new Uint8Array(0),
      };
    parts.push(Buffer.from(b.subarray(pos, i)).toString('latin1'));
    pos = i + 1;
  }
  return { provider: parts[0]!, version: parts[1]!, keyName: parts[2]!, data: b.subarray(pos) };
}

export type DecryptResult = { ok: true; plain: Uint8Array } | { ok: false; reason: string };

export function decryptValue(e: Encrypted, keys: KeyRing, etcdKey?: string): DecryptResult {
  if (e.provider === 'kms')
    return {
      ok: false,
      reason: `kms ${e.version} (key ${e.keyName}): needs the KMS plugin, cannot decrypt offline`,
    };
  const key = keys.get(e.provider)?.get(e.keyName);
  if (!key)
    return { ok: false, reason: `no ${e.provider} key named '${e.keyName}' in the encryption config` };
  try {
    if (e.provider === 'aescbc') {
      if (e.data.length < 32 || (e.data.length - 16) % 16 !== 0)
        return { ok: false, reason: 'aescbc: ciphertext has a bad length' };
      const d = createDecipheriv(`aes-${key.length * 8}-cbc`, key, e.data.subarray(0, 16));
      return { ok: true, plain: Buffer.concat([d.update(e.data.subarray(16)), d.final()]) };
    }
    if (e.provider === 'aesgcm') {
      if (e.data.length < 28) return { ok: false, reason: 'aesgcm: ciphertext too short' };
      const d = createDecipheriv(`aes-${key.length * 8}-gcm`, key, e.data.subarray(0, 12)) as DecipherGCM;
      d.setAAD(Buffer.from(etcdKey ?? ''));
      d.setAuthTag(e.data.subarray(e.data.length - 16));
      return {
        ok: true,
        plain: Buffer.concat([d.update(e.data.subarray(12, e.data.length - 16)), d.final()]),
      };
    }
    if (e.provider === 'secretbox') {
      if (key.length !== 32) return { ok: false, reason: 'secretbox: key must be 32 bytes' };
      const plain = secretboxOpen(e.data.subarray(24), e.data.subarray(0, 24), key);
      return plain
        ? { ok: true, plain }
        : { ok: false, reason: `secretbox: authentication failed with key '${e.keyName}'` };
    }
  } catch (err) {
    return {
      ok: false,
      reason: `${e.provider}: decryption failed with key '${e.keyName}' (${(err as Error).message})`,
    };
  }
  return { ok: false, reason: `provider '${e.provider}' is not supported` };
}

type Provider = Record<string, { keys?: { name?: string; secret?: string }[] } | undefined>;

/** Reads an apiserver EncryptionConfiguration (YAML or JSON) into a key ring. */
export function loadEncryptionConfig(path: string): KeyRing {
  let doc: unknown;
  try {
    doc = parseYaml(readRegularText(path, 'encryption config'));
  } catch (err) {
    throw badInput(
      `${path}: cannot read the encryption config (${(err as Error).message})`,
      'pass the EncryptionConfiguration file kube-apiserver uses',
    );
  }
  const ring: KeyRing = new Map();
  const resources = (doc as { resources?: { providers?: Provider[] }[] } | null)?.resources;
  if (!Array.isArray(resources))
    throw badInput(
      `${path}: not an EncryptionConfiguration (no resources list)`,
      'pass the file given to kube-apiserver --encryption-provider-config',
    );
  for (const r of resources) {
    for (const p of r.providers ?? []) {
      for (const [name, conf] of Object.entries(p)) {
        for (const k of conf?.keys ?? []) {
          if (!k.name || !k.secret) continue;
          if (!ring.has(name)) ring.set(name, new Map());
          ring.get(name)!.set(k.name, Buffer.from(k.secret, 'base64'));
        }
      }
    }
  }
  return ring;
}
