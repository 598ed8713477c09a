import { fileURLToPath } from 'node:url';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run as decodeCli } from '../../src/cli/decode/index.js';
import { encodeStoredObject, wrapUnknown } from '../../src/k8s/encode.js';
import { loadEncryptionConfig } from '../../src/k8s/encryption.js';
import { present, toYaml } from '../../src/k8s/present.js';
import { secretboxOpen } from '../../src/k8s/secretbox.js';
import { decodeStoredValue, objectOf } from '../../src/k8s/value.js';

const DIR = fileURLToPath(new URL('../fixtures/k8s-protobuf/', import.meta.url));
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.pb'));

// The `default` Namespace value as `etcdctl get -w json` prints it, and the YAML kubectl shows for it.
const SOURCE_000 =
  'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEogCCu0BCgdkZWZhdWx0EgAaACIAKiQ5ZDQyYmYxMy03OGM0LTQ4NzQtOThiYy05NjNlMDg1MDYyZjYyADgAQggIo8yllQYQAFomChtrdWJlcm5ldGVzLmlvL21ldGFkYXRhLm5hbWUSB2RlZmF1bHR6AIoBfQoOa3ViZS1hcGlzZXJ2ZXISBlVwZGF0ZRoCdjEiCAijzKWVBhAAMghGaWVsZHNWMTpJCkd7ImY6bWV0YWRhdGEiOnsiZjpsYWJlbHMiOnsiLiI6e30sImY6a3ViZXJuZXRlcy5pby9tZXRhZGF0YS5uYW1lIjp7fX19fUIAEgwKCmt1YmVybmV0ZXMaCAoGQWN0aXZlGgAiAA==';
const SOURCE_000_YAML = `apiVersion: v1
kind: Namespace
metadata:
  creationTimestamp: "2022-06-15T04:54:59Z"
  labels:
    kubernetes.io/metadata.name: default
  name: default
  resourceVersion: "192"
  uid: 9d42bf13-78c4-4874-98bc-963e085062f6
spec:
  finalizers:
  - kubernetes
status:
  phase: Active
`;

describe('decodeStoredValue', () => {
  it.each(fixtures)('%s decodes to its .json (values and key order)', (f) => {
    const v = decodeStoredValue(readFileSync(DIR + f));
    expect(v.format).toBe('protobuf');
    const want = readFileSync(DIR + f.replace(/\.pb$/, '.json'), 'utf8');
    expect(objectOf(v)).toEqual(JSON.parse(want));
    expect(JSON.stringify(objectOf(v))).toBe(JSON.stringify(JSON.parse(want)));
  });

  it('decodes the default Namespace to the YAML kubectl shows', () => {
    const v = decodeStoredValue(Buffer.from(SOURCE_000, 'base64'), { modRevision: 192 });
    expect(toYaml(present(objectOf(v)!))).toBe(SOURCE_000_YAML);
  });

  it('decode -> encode -> decode is stable (its removed clusterName field 15 is dropped)', () => {
    const b = Buffer.from(SOURCE_000, 'base64');
    const obj = objectOf(decodeStoredValue(b))!;
    const again = Buffer.from(encodeStoredObject(obj));
    expect(objectOf(decodeStoredValue(again))).toEqual(obj);
    expect(again.length).toBe(b.length - 2);
  });

  it('shows an unknown kind as raw protobuf fields', () => {
    const v = decodeStoredValue(
      wrapUnknown('example.io/v1', 'Widget', Uint8Array.of(0x0a, 0x03, 0x61, 0x62, 0x63, 0x10, 0x07)),
    );
    expect(v).toMatchObject({
      format: 'protobuf',
      typed: false,
      kind: 'Widget',
      object: { protobuf: { '1': 'abc', '2': 7 } },
    });
  });

  it('passes JSON values (custom resources) through and sets resourceVersion', () => {
    const v = decodeStoredValue(Buffer.from('{"apiVersion":"x.io/v1","kind":"W","metadata":{"name":"a"}}'), {
      modRevision: 5,
    });
    expect(objectOf(v)).toEqual({
      apiVersion: 'x.io/v1',
      kind: 'W',
      metadata: { name: 'a', resourceVersion: '5' },
    });
  });

  it('reports encrypted values, and decrypts aescbc, aesgcm and secretbox with a config', () => {
    const plain = Buffer.from(
      encodeStoredObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } }),
    );
    const cbcKey = randomBytes(32);
    const iv = randomBytes(16);
    const c = createCipheriv('aes-256-cbc', cbcKey, iv);
    const cbc = Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:key1:'), iv, c.update(plain), c.final()]);
    const gcmKey = randomBytes(16);
    const nonce = randomBytes(12);
    const g = createCipheriv('aes-128-gcm', gcmKey, nonce);
    g.setAAD(Buffer.from('/registry/secrets/default/s'));
    const gct = Buffer.concat([g.update(plain), g.final()]);
    const gcm = Buffer.concat([Buffer.from('k8s:enc:aesgcm:v1:g1:'), nonce, gct, g.getAuthTag()]);
    expect(decodeStoredValue(cbc)).toMatchObject({
      format: 'encrypted',
      provider: 'aescbc',
      keyName: 'key1',
    });
    const dir = mkdtempSync(join(tmpdir(), 'lb-enc-'));
    const cfg = join(dir, 'enc.yaml');
    writeFileSync(
      cfg,
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: ${cbcKey.toString('base64')}\n  - aesgcm:\n      keys:\n      - name: g1\n        secret: ${gcmKey.toString('base64')}\n  - identity: {}\n`,
    );
    const keys = loadEncryptionConfig(cfg);
    expect(objectOf(decodeStoredValue(cbc, { keys }))?.data).toEqual({ k: 'dg==' });
    expect(objectOf(decodeStoredValue(gcm, { keys, key: '/registry/secrets/default/s' }))?.data).toEqual({
      k: 'dg==',
    });
    expect(decodeStoredValue(Buffer.from('k8s:enc:aescbc:v1:other:xxxxxxxx'), { keys })).toMatchObject({
      format: 'encrypted',
      note: expect.stringMatching(/no aescbc key named 'other'/),
    });
  });

  it('secretbox matches libsodium crypto_secretbox_easy', () => {
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const nonce = Buffer.from('6465666768696a6b6c6d6e6f707172737475767778797a7b', 'hex');
    const box = Buffer.from(
      '7a764c1788209ddf90fd61a189e9b3c26981eac952d3a285dfdd50f154f6c66c5cc540878cc32777c92c31f169f9acfcca008c382752f7889a3664076361b811a3ffd6387ae355336cc12061b8c0fb1021e4344da05924e6d6af6c9723b188e736f8f527cf9a176efdbbfa421b9480b298a6915b87bc56ab6c5b0ceedf2ef04c1a40ee6abf4e2c652fac7dc68763b348dc6f75385fab71652203585dbebb852101448e3f0c',
      'hex',
    );
    const msg = Buffer.concat([Buffer.from('k8s\0'), Buffer.from('hello secretbox '.repeat(9) + '!')]);
    expect(Buffer.from(secretboxOpen(box, nonce, key)!).equals(msg)).toBe(true);
    box[40]! ^= 1;
    expect(secretboxOpen(box, nonce, key)).toBeUndefined();
  });

  it('never throws on damaged or random values', () => {
    const seeds = fixtures.map((f) => readFileSync(DIR + f));
    let state = 12345;
    const rnd = (n: number) => (state = (state * 1103515245 + 12345) >>> 0) % n;
    for (let i = 0; i < 3000; i++) {
      const base = Buffer.from(seeds[rnd(seeds.length)]!);
      const b = rnd(3) === 0 ? base.subarray(0, rnd(base.length)) : base;
      for (let j = 0; j < 1 + rnd(4); j++) b[rnd(b.length)] = rnd(256);
      const v = decodeStoredValue(b);
      expect(['protobuf', 'raw', 'json', 'encrypted']).toContain(v.format);
    }
    expect(decodeStoredValue(new Uint8Array(0)).format).toBe('raw');
    expect(decodeStoredValue(Buffer.from('k8s\0')).format).toBe('protobuf');
  });
});

describe('lifeboat decode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-decode-'));
  async function cli(args: string[]): Promise<string> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    try {
      expect(await decodeCli(args)).toBe(0);
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('decodes `etcdctl get -w json` output (resourceVersion from mod_revision)', async () => {
    const f = join(dir, 'get.json');
    writeFileSync(
      f,
      JSON.stringify({
        header: { revision: 30240109 },
        kvs: [
          {
            key: Buffer.from('/registry/namespaces/default').toString('base64'),
            create_revision: 192,
            mod_revision: 192,
            version: 1,
            value: SOURCE_000,
          },
        ],
        count: 1,
      }),
    );
    expect(await cli([f])).toBe(`# /registry/namespaces/default\n${SOURCE_000_YAML}`);
  });

  it('decodes a base64 value and a raw value file', async () => {
    const b64 = join(dir, 'v.b64');
    writeFileSync(b64, SOURCE_000 + '\n');
    expect(await cli([b64, '--base64', '--mod-revision', '192'])).toBe(SOURCE_000_YAML);
    const raw = join(dir, 'v.bin');
    writeFileSync(raw, readFileSync(DIR + 'core.v1.ConfigMap.pb'));
    expect(JSON.parse(await cli([raw, '-o', 'json']))).toEqual({
      ...JSON.parse(readFileSync(DIR + 'core.v1.ConfigMap.json', 'utf8')),
      metadata: expect.not.objectContaining({ managedFields: expect.anything() }),
    });
  });

  it('bad input is a one-line error', async () => {
    await expect(decodeCli([join(dir, 'missing')])).rejects.toThrow(/cannot read/);
    const notB64 = join(dir, 'x');
    writeFileSync(notB64, '%%%');
    await expect(decodeCli([notB64, '--base64'])).rejects.toThrow(/not base64/);
  });
});
