// A bucket written by an attacker (a real S3-protocol server): traversal names, manifests dated in the future or at
// another prefix, another cluster's backup, an unencrypted backup where encryption is configured, an object bigger
// than its manifest says, a tampered and a truncated .age, a changed pinned manifest. No file lands outside the output
// folder, no real backup is pruned, every restore and fetch is refused with one line and exit 2, and no bad bytes
// are ever left under a real file name. Then a seeded generator of manifests and objects: never a crash.
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptStream } from '../../src/backup/age.js';
import { putManifest, type BackupManifest } from '../../src/backup/backups.js';
import { pinManifest } from '../../src/backup/pins.js';
import { openStore, type Store } from '../../src/backup/store.js';
import { rng } from '../../src/lab/seed.js';
import { ROOT } from './runbook-helpers.js';
import { startS3, type S3Server } from './s3-server.js';

let s3: S3Server;
let store: Store;
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-hb-'));
const work = join(dir, 'work'); // the CLI's working folder: its .lifeboat/ (pins, fetched) lives here
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const NOW = Date.now();
const past = (days: number) => new Date(NOW - days * 86_400_000).toISOString();

interface Res {
  code: number;
  stdout: string;
  stderr: string;
}
const lb = (args: string[]) =>
  new Promise<Res>((resolve) =>
    execFile(
      'node',
      [join(ROOT, 'bin/lifeboat'), ...args],
      {
        cwd: work,
        timeout: 60_000,
        env: {
          ...process.env,
          NO_COLOR: '1',
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );

/** Refused the way every bad input is: exit 2, one line naming the thing, no stack trace. */
function expectRefused(r: Res, what: RegExp): void {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  // One line; a warning that the backup was not pinned on this machine may come before it.
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !/^WARNING backup \S+: no pin/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(what);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

async function put(key: string, body: Buffer): Promise<void> {
  await store.put(key, Readable.from([body]), {});
}

/** A backup as the attacker writes it: the manifest (with whatever fields) and the objects. */
async function plant(
  id: string,
  m: Partial<BackupManifest> & Record<string, unknown>,
  objects: Record<string, Buffer>,
) {
  for (const [k, v] of Object.entries(objects)) await put(`${id}/${k}`, v);
  await put(`${id}/backup-manifest.json`, Buffer.from(JSON.stringify({ id, ...m })));
}

const fileEntry = (name: string, plain: Buffer, stored = plain, recipients?: string[]) => ({
  name,
  sha256: sha(plain),
  bytes: plain.length,
  storedSha256: sha(stored),
  storedBytes: stored.length,
  ...(recipients ? { recipients } : {}),
});

/** A well-formed backup of cluster hc with one file `data.bin`; returns what it holds. */
async function realBackup(id: string, takenAt: string, o: { pin?: boolean; cluster?: string } = {}) {
  const data = randomBytes(4096);
  const m = {
    format: 'lifeboat-backup/1' as const,
    id,
    cluster: o.cluster ?? 'hc',
    takenAt,
    encrypted: false,
    verified: true,
    members: [{ member: 'm1', file: 'data.bin' }],
    files: [fileEntry('data.bin', data)],
  };
  await put(`${id}/data.bin`, data);
  const pinned = await putManifest(store, m);
  if (o.pin !== false)
    pinManifest(store.url, id, m.cluster, pinned, join(work, '.lifeboat/backup-pins.jsonl'));
  return data;
}

let identity: string;
let recipient: string;
let invPlain: string;
let invEnc: string;

function inventory(name: string, extra: string): string {
  const p = join(dir, name);
  writeFileSync(
    p,
    [
      'apiVersion: lifeboat/v1',
      'cluster: hc',
      'topology: static-pod',
      `ssh: { port: 1, user: root, identityFile: ${JSON.stringify(join(dir, 'key'))} }`,
      'members:',
      '  - { name: m1, address: 127.0.0.1, peerURL: "https://127.0.0.1:2380", clientURL: "https://127.0.0.1:2379" }',
      `backup: { to: "s3://bkt/prod", endpoint: "${s3.endpoint}"${extra} }`,
    ].join('\n') + '\n',
  );
  return p;
}

beforeAll(async () => {
  s3 = await startS3(['bkt']);
  mkdirSync(work, { recursive: true });
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  store = openStore('s3://bkt/prod', { endpoint: s3.endpoint });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
  writeFileSync(join(dir, 'id.txt'), identity + '\n', { mode: 0o600 });
  invPlain = inventory('plain.yaml', '');
  invEnc = inventory('enc.yaml', `, encrypt: { recipients: ["${recipient}"] }`);
});
afterAll(async () => {
  store?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const restore = (inv: string, id: string, ...more: string[]) =>
  lb(['run', 'restore-single-master', '-i', inv, '--set', `snapshot=s3://bkt/prod/${id}`, '--yes', ...more]);
const fetchInto = (id: string, out: string, ...more: string[]) =>
  lb(['backup', 'fetch', `s3://bkt/prod/${id}`, out, '--endpoint', s3.endpoint, ...more]);

/** Every file under `root`, relative. */
const filesUnder = (root: string): string[] =>
  existsSync(root)
    ? readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    : [];

describe('a hostile bucket', () => {
  it('traversal names in files[] and members[]: exit 2 before anything is opened, nothing outside the folder', async () => {
    const evil = Buffer.from('owned\n');
    for (const [id, name] of [
      ['trav-1', '../../../escape.txt'],
      ['trav-2', '/tmp/lifeboat-hb-abs.txt'],
      ['trav-3', '..'],
      ['trav-4', 'sub/dir.txt'],
    ] as const)
      await plant(
        id,
        {
          cluster: 'hc',
          takenAt: past(1),
          members: [{ member: 'm1', file: name }],
          files: [fileEntry(name, evil)],
        },
        { 'x.bin': evil },
      );
    for (const id of ['trav-1', 'trav-2', 'trav-3', 'trav-4']) {
      const out = join(dir, 'fetch', id);
      expectRefused(await fetchInto(id, out), /manifest is refused: .*not a plain file name/);
      expectRefused(
        await lb(['backup', 'verify', `s3://bkt/prod/${id}`, '--endpoint', s3.endpoint]),
        /not a plain file name/,
      );
      expectRefused(await restore(invPlain, id), /not a plain file name/);
      expect(existsSync(out), 'the output folder was never made').toBe(false);
    }
    expect(filesUnder(dir).filter((f) => /escape\.txt|abs\.txt|dir\.txt/.test(f))).toEqual([]);
    expect(existsSync('/tmp/lifeboat-hb-abs.txt')).toBe(false);
  });

  it("another cluster's backup, an unencrypted one where encryption is configured: each restore refused", async () => {
    await realBackup('other-1', past(1), { cluster: 'someone-else' });
    expectRefused(
      await restore(invPlain, 'other-1'),
      /backup other-1 is of cluster "someone-else", not "hc"/,
    );
    await realBackup('plain-1', past(1));
    expectRefused(
      await restore(invEnc, 'plain-1'),
      /backup plain-1 is not encrypted, but the inventory encrypts/,
    );
    // With the explicit flag the cluster check passes (the fetch runs; the lab has no host, so it stops later).
    const allowed = await restore(invPlain, 'other-1', '--set', 'allowOtherCluster=true');
    expect(allowed.stderr).not.toMatch(/is of cluster/);
    expect(allowed.stderr).toMatch(/snapshot data\.bin of backup other-1 fetched/);
  });

  it('an oversized object, a wrong sha256, a tampered or truncated .age, a changed pinned manifest: no bad bytes kept', async () => {
    const plain = randomBytes(64 << 10);
    // 10 MiB stored where the manifest says 64 KiB (the manifest's own hash of it agrees: the attacker wrote both).
    const huge = Buffer.concat([plain, randomBytes(10 << 20)]);
    await plant(
      'big-1',
      {
        cluster: 'hc',
        takenAt: past(1),
        members: [{ member: 'm1', file: 'data.bin' }],
        files: [fileEntry('data.bin', plain)],
      },
      { 'data.bin': huge },
    );
    await plant(
      'sha-1',
      {
        cluster: 'hc',
        takenAt: past(1),
        members: [{ member: 'm1', file: 'data.bin' }],
        files: [{ ...fileEntry('data.bin', plain), sha256: sha(Buffer.from('other')) }],
      },
      { 'data.bin': plain },
    );
    const age = await new Response(
      Readable.toWeb(await encryptStream(Readable.from([plain]), [recipient])) as ReadableStream,
    ).arrayBuffer();
    const sealed = Buffer.from(age);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 100]! ^= 0x01;
    const truncated = sealed.subarray(0, sealed.length - 200);
    for (const [id, body] of [
      ['age-tampered', tampered],
      ['age-truncated', truncated],
    ] as const)
      await plant(
        id,
        {
          cluster: 'hc',
          takenAt: past(1),
          encrypted: true,
          members: [{ member: 'm1', file: 'data.bin' }],
          files: [fileEntry('data.bin', plain, body, ['age1…'])],
        },
        { 'data.bin.age': body },
      );
    const cases: Array<[string, RegExp]> = [
      ['big-1', /larger than the manifest says/],
      ['sha-1', /sha256 does not match the manifest/],
      ['age-tampered', /cannot decrypt it/],
      ['age-truncated', /cannot decrypt it|size does not match/],
    ];
    for (const [id, why] of cases) {
      const out = join(dir, 'fetch', id);
      expectRefused(await fetchInto(id, out, '--identity', join(dir, 'id.txt')), why);
      expect(filesUnder(out), `${id}: nothing kept`).toEqual([]);
      expectRefused(
        await restore(id.startsWith('age') ? invEnc : invPlain, id, '--identity', join(dir, 'id.txt')),
        why,
      );
      expect(filesUnder(join(work, '.lifeboat/fetched', id)), `${id}: nothing kept`).toEqual([]);
    }
    // A backup pinned when written, its manifest changed in the store since: refused.
    await realBackup('pinned-1', past(1));
    const data = Buffer.from('planted');
    await plant(
      'pinned-1',
      {
        cluster: 'hc',
        takenAt: past(1),
        members: [{ member: 'm1', file: 'data.bin' }],
        files: [fileEntry('data.bin', data)],
      },
      { 'data.bin': data },
    );
    expectRefused(
      await fetchInto('pinned-1', join(dir, 'fetch', 'pinned-1')),
      /not the one written at backup time/,
    );
    expectRefused(await restore(invPlain, 'pinned-1'), /not the one written at backup time/);
  });

  it('prune: future-dated, foreign-folder, mis-named and incomplete manifests never count and are never deleted', async () => {
    const p = 's3://bkt/keep';
    const keepStore = openStore(p, { endpoint: s3.endpoint });
    const was = store;
    store = keepStore;
    try {
      await realBackup('hc-real-1', past(3));
      await realBackup('hc-real-2', past(2));
      const fake = { cluster: 'hc', members: [{ member: 'm1', file: 'data.bin' }], files: [] };
      await plant(
        'hc-future-1',
        { ...fake, takenAt: '2099-01-01T00:00:00Z' },
        { 'data.bin': Buffer.from('x') },
      );
      await plant(
        'hc-future-2',
        { ...fake, takenAt: '2099-01-02T00:00:00Z' },
        { 'data.bin': Buffer.from('x') },
      );
      // A folder that is no Lifeboat backup, with a manifest one level down, and a manifest naming another folder.
      await put('precious/data/keep-me.txt', Buffer.from('not a backup'));
      await put(
        'precious/data/backup-manifest.json',
        Buffer.from(JSON.stringify({ ...fake, takenAt: past(400) })),
      );
      await plant('hc-liar', { ...fake, id: 'hc-real-1', takenAt: past(500) }, {});
      // An old manifest whose files are not there: not a backup prune may count.
      await plant('hc-hollow', { ...fake, takenAt: past(600) }, {});
      const before = (await keepStore.list()).map((o) => o.key).sort();
      const dry = await lb(['backup', 'prune', p, '-i', invPlain, '--keep', '2', '--endpoint', s3.endpoint]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/never pruned: hc-future-1 \(dated in the future/);
      expect(dry.stdout).toMatch(
        /never pruned: hc-liar \(manifest refused: its id hc-real-1 is not its folder/,
      );
      expect(dry.stdout).toMatch(/never pruned: hc-hollow \(listed files missing/);
      expect(dry.stdout).toMatch(/0 of 2 backups would be deleted/);
      const yes = await lb([
        'backup',
        'prune',
        p,
        '-i',
        invPlain,
        '--keep',
        '2',
        '--endpoint',
        s3.endpoint,
        '--yes',
      ]);
      expect(yes.code, yes.stderr).toBe(0);
      expect((await keepStore.list()).map((o) => o.key).sort()).toEqual(before);
      // keep=1: only the older real backup goes, and only the files its manifest lists.
      await put('hc-real-1/not-listed.txt', Buffer.from('stays'));
      const one = await lb([
        'backup',
        'prune',
        p,
        '-i',
        invPlain,
        '--keep',
        '1',
        '--endpoint',
        s3.endpoint,
        '--yes',
      ]);
      expect(one.stdout).toMatch(/^delete hc-real-1 /m);
      const after = (await keepStore.list()).map((o) => o.key).sort();
      expect(before.filter((k) => !after.includes(k))).toEqual([
        'hc-real-1/backup-manifest.json',
        'hc-real-1/data.bin',
      ]);
      expect(after).toContain('hc-real-1/not-listed.txt');
    } finally {
      store = was;
      keepStore.close();
    }
  });

  it('seeded generator (seed 29): 24 hostile manifests and objects; list/fetch/prune never crash nor write outside', async () => {
    const next = rng(29);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const names = [
      'data.bin',
      '../up.bin',
      '/abs.bin',
      'a/b.bin',
      '.',
      '',
      'x'.repeat(300),
      'ok.db',
      '\u001b[2J.bin',
    ];
    const values = [null, 1, -1, 1e300, 'x', [], {}, true, '2099-01-01T00:00:00Z', 'not-a-date'];
    const fstore = openStore('s3://bkt/fuzz', { endpoint: s3.endpoint });
    const was = store;
    store = fstore;
    try {
      for (let i = 0; i < 24; i++) {
        const body = randomBytes(Math.floor(next() * 4096));
        const name = pick(names);
        const m: Record<string, unknown> = {
          cluster: next() < 0.8 ? 'hc' : pick(values),
          takenAt: next() < 0.7 ? past(next() * 30) : pick(values),
          members: next() < 0.8 ? [{ member: 'm1', file: name }] : pick(values),
          files:
            next() < 0.8
              ? [{ ...fileEntry(name, body), ...(next() < 0.3 ? { storedBytes: pick(values) } : {}) }]
              : pick(values),
        };
        const text = next() < 0.1 ? '['.repeat(5000) : next() < 0.05 ? '{"a":' : JSON.stringify(m);
        await put(`fz-${i}/backup-manifest.json`, Buffer.from(text));
        await put(`fz-${i}/data.bin`, next() < 0.5 ? body : randomBytes(8192));
      }
      const out = join(dir, 'fuzz-out');
      const results = [await lb(['backup', 'list', 's3://bkt/fuzz', '--endpoint', s3.endpoint])];
      for (let i = 0; i < 24; i += 3)
        results.push(
          await lb([
            'backup',
            'fetch',
            `s3://bkt/fuzz/fz-${i}`,
            join(out, String(i)),
            '--endpoint',
            s3.endpoint,
          ]),
        );
      results.push(
        await lb([
          'backup',
          'prune',
          's3://bkt/fuzz',
          '-i',
          invPlain,
          '--keep',
          '1',
          '--endpoint',
          s3.endpoint,
          '--yes',
        ]),
      );
      for (const r of results) {
        expect([0, 2], r.stderr).toContain(r.code);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(r.stdout + r.stderr).not.toContain('\u001b[2J');
      }
      // Only plain names under the output folder, nothing anywhere else.
      for (const f of filesUnder(out)) expect(f).toMatch(/^\d+\/[A-Za-z0-9._-]+$/);
      expect(filesUnder(dir).filter((f) => /up\.bin|abs\.bin/.test(f))).toEqual([]);
    } finally {
      store = was;
      fstore.close();
    }
  });
});
