// Every form people pipe into `lifeboat decode`, told apart from the bytes: etcdctl's trailing newline, `etcdctl get`
// key/value lines (binary values full of '\n'), base64, encrypted values, and what -v says about each.
import { fileURLToPath } from 'node:url';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { run as decodeCli } from '../../src/cli/decode/index.js';
import { encodeStoredObject } from '../../src/k8s/encode.js';
import { parseEtcdctlGet, parseInput } from '../../src/k8s/input.js';

const FIX = fileURLToPath(new URL('../fixtures/k8s-protobuf/', import.meta.url));
const pb = (name: string) => readFileSync(FIX + name + '.pb');
const expected = (name: string) => JSON.parse(readFileSync(FIX + name + '.json', 'utf8')) as Obj;
type Obj = Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), 'lb-decode-forms-'));
let n = 0;
const file = (b: Buffer | string) => {
  const f = join(dir, `in-${n++}`);
  writeFileSync(f, b);
  return f;
};

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await decodeCli(args), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const withoutManaged = (o: Obj) => {
  const md = { ...(o.metadata as Obj) };
  delete md.managedFields;
  return { ...o, metadata: md };
};

const PB = readdirSync(FIX)
  .filter((f) => f.endsWith('.pb'))
  .map((f) => f.slice(0, -3));

describe('decode input forms', () => {
  it('every fixture as `etcdctl get --print-value-only` prints it (value + newline) decodes, exit 0', async () => {
    expect(PB.length).toBeGreaterThan(10);
    for (const name of PB) {
      const r = await cli([file(Buffer.concat([pb(name), Buffer.from('\n')])), '-o', 'json', '-v']);
      expect({ name, code: r.code }).toEqual({ name, code: 0 });
      expect(JSON.parse(r.stdout)).toEqual(withoutManaged(expected(name)));
      expect(r.stderr).toContain('trailing newline (dropped)');
    }
  });

  it('`etcdctl get --prefix` output: every key line and binary value, JSON values with their own newline', async () => {
    const cr = Buffer.from('{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w\\n1"}}\n');
    const pairs: [string, Buffer][] = [
      ...PB.map((name, i): [string, Buffer] => [`/registry/things/ns/${name}-${i}`, pb(name)]),
      ['/registry/example.com/widgets/ns/w1', cr],
    ];
    const text = Buffer.concat(pairs.flatMap(([k, v]) => [Buffer.from(k + '\n'), v, Buffer.from('\n')]));
    expect(parseEtcdctlGet(text)?.map((x) => [x.key, x.value])).toEqual(pairs);
    const r = await cli([file(text), '-v']);
    expect(r.stderr).toContain(`'etcdctl get' output (key line, value), ${pairs.length} value(s)`);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    expect(docs).toHaveLength(pairs.length);
    expect(docs.at(-1)).toEqual({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w\n1' } });
    expect(r.stdout.startsWith(`# ${pairs[0]![0]}\n`)).toBe(true);
  });

  it('an encrypted value: with its trailing newline, alone or between other pairs, decrypts with the config', async () => {
    const plain = Buffer.from(
      encodeStoredObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } }),
    );
    const key = randomBytes(32);
    const cfg = file(
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: g1\n        secret: ${key.toString('base64')}\n`,
    );
    const skey = '/registry/secrets/default/s';
    // A ciphertext holding "\n/" (what could pass for a key line) must not split the value.
    let gcm: Buffer;
    do {
      const nonce = randomBytes(12);
      const g = createCipheriv('aes-256-gcm', key, nonce);
      g.setAAD(Buffer.from(skey));
      gcm = Buffer.concat([
        Buffer.from('k8s:enc:aesgcm:v1:g1:'),
        nonce,
        g.update(plain),
        g.final(),
        g.getAuthTag(),
      ]);
    } while (!gcm.includes('\n'));
    const alone = await cli([
      file(Buffer.concat([gcm, Buffer.from('\n')])),
      '--key',
      skey,
      '--encryption-config',
      cfg,
      '-o',
      'json',
    ]);
    expect(alone.code).toBe(0);
    expect((JSON.parse(alone.stdout) as Obj).data).toEqual({ k: 'dg==' });
    const listed = Buffer.concat([
      Buffer.from(skey + '\n'),
      gcm,
      Buffer.from('\n/registry/configmaps/default/c\n'),
      pb('core.v1.ConfigMap'),
      Buffer.from('\n'),
    ]);
    const r = await cli([file(listed), '--encryption-config', cfg, '-o', 'json', '-v']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('2 value(s)');
  });

  it('base64 of a value is recognised without --base64; plain text stays plain', async () => {
    const b64 = pb('core.v1.Namespace').toString('base64');
    const r = await cli([file(b64 + '\n'), '-o', 'json', '-v']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(withoutManaged(expected('core.v1.Namespace')));
    expect(r.stderr).toContain('base64 of a stored value');
    expect(parseInput(Buffer.from('aGVsbG8=\n'))?.form).toBe('value'); // "hello": not a Kubernetes value
    expect(parseInput(Buffer.from('plain words\n'))?.form).toBe('value');
  });

  it('damage is still named: a cut envelope is not mistaken for a trailing newline', async () => {
    const cut = pb('core.v1.ConfigMap').subarray(0, 40);
    const r = await cli([file(Buffer.concat([cut, Buffer.from('\n')]))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not fully decoded/);
  });
});
