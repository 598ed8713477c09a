// backup to an S3-compatible object store on the lab, age-encrypted to an age key and an SSH key: listed, verified,
// stored as age files, restored with restore-multi-master --set snapshot=s3://...; credentials appear nowhere.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import type { Lab } from '../../src/lab/index.js';
import { AGE_MAGIC } from '../../src/backup/age.js';
import { openStore } from '../../src/backup/store.js';
import {
  cli,
  clusterValues,
  damage,
  expectCode,
  expectSameData,
  oneLab,
  ROOT,
  runAndKill,
  stepStarted,
} from './runbook-helpers.js';
import { startS3, type S3Server } from './s3-server.js';

const SECRET = 'lifeboat-test-secret-never-printed-7f3a';
let lab: Lab;
let s3: S3Server;
const dir = oneLab('bks3', { members: 3, mode: 'static-pod' }, (l) => (lab = l));
beforeAll(async () => {
  s3 = await startS3(['bkt']);
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  // s3rver checks only the key id; a distinctive secret lets the test prove it is never written or printed.
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
});
afterAll(async () => s3?.stop());

const everything = (d: string): string =>
  readdirSync(d, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');

describe('backup to s3:// encrypted, then restore from it', () => {
  it('backs up, lists, verifies, stores age files, restores every key and value; no credential anywhere', async () => {
    const want = await clusterValues(lab);
    const id = await generateIdentity();
    writeFileSync(join(dir, 'id.txt'), id + '\n', { mode: 0o600 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ssh')]);
    writeFileSync(
      join(dir, 'rcp'),
      `${await identityToRecipient(id)}\n${readFileSync(join(dir, 'ssh.pub'), 'utf8')}`,
    );
    const ep = ['--set', `endpoint=${s3.endpoint}`];
    const bk = await cli([
      'run',
      'backup',
      '-i',
      lab.inventoryPath,
      '--set',
      'to=s3://bkt/lab',
      ...ep,
      '--set',
      `recipients=${join(dir, 'rcp')}`,
      '--yes',
      '--run-dir',
      join(dir, 'run-bk'),
    ]);
    expectCode(bk, 0);
    const list = await cli(['backup', 'list', 's3://bkt/lab', '--endpoint', s3.endpoint, '-o', 'json']);
    expectCode(list, 0);
    const all = JSON.parse(list.stdout) as Array<{
      id: string;
      cluster: string;
      encrypted: boolean;
      files: Array<{ name: string; recipients: string[] }>;
    }>;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ cluster: lab.cluster, encrypted: true });
    expect(all[0]!.files).toHaveLength(6);
    for (const f of all[0]!.files) expect(f.recipients).toHaveLength(2);
    const bid = all[0]!.id;
    // The plain copies gathered for the upload are gone once the store's copies were read back and matched.
    expect(existsSync(join(ROOT, '.lifeboat/staging', bid)), 'staging copy left').toBe(false);
    const ver = await cli([
      'backup',
      'verify',
      `s3://bkt/lab/${bid}`,
      '--endpoint',
      s3.endpoint,
      '--identity',
      join(dir, 'id.txt'),
    ]);
    expectCode(ver, 0);
    const store = openStore('s3://bkt/lab', { endpoint: s3.endpoint });
    const objs = await store.list(`${bid}/`);
    expect(objs.filter((o) => o.key.endsWith('.age'))).toHaveLength(6);
    for (const o of objs.filter((x) => x.key.endsWith('.age'))) {
      const chunks: Buffer[] = [];
      for await (const c of await store.get(o.key)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).subarray(0, AGE_MAGIC.length).toString(), o.key).toBe(AGE_MAGIC);
    }
    // snapshot commands open an encrypted snapshot with --identity; without one, one line and exit 2.
    const enc = join(dir, 'cp-1.db.age');
    await pipeline(await store.get(`${bid}/etcd-cp-1.db.age`), createWriteStream(enc));
    expectCode(await cli(['snapshot', 'verify', enc, '--identity', join(dir, 'ssh')]), 0);
    const noId = await cli(['snapshot', 'verify', enc]);
    expectCode(noId, 2);
    expect(noId.stderr).toMatch(/is age-encrypted .*--identity/);
    store.close();
    await damage(lab, 's3');
    const rs = await cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=s3://bkt/lab/${bid}`,
      ...ep,
      '--identity',
      join(dir, 'ssh'),
      '--yes',
      '--run-dir',
      join(dir, 'run-rs'),
    ]);
    expectCode(rs, 0);
    expectSameData(await clusterValues(lab), want);
    const rep = await cli(['report', join(dir, 'run-rs')]);
    const plan = await cli(['plan', 'backup', '-i', lab.inventoryPath, '--set', 'to=s3://bkt/lab', ...ep]);
    for (const [what, text] of Object.entries({
      runs: everything(join(dir, 'run-bk')) + everything(join(dir, 'run-rs')),
      output: [bk, list, ver, rs, rep, plan].map((r) => r.stdout + r.stderr).join('\n'),
    }))
      expect(text.includes(SECRET), `${what} holds the secret key`).toBe(false);
  });

  it('prune --keep 2 after four backups: the dry run names the two oldest, --yes removes exactly them, audited', async () => {
    for (let i = 2; i <= 4; i++)
      expectCode(
        await cli([
          'run',
          'backup',
          '-i',
          lab.inventoryPath,
          '--set',
          'to=s3://bkt/lab',
          '--set',
          `endpoint=${s3.endpoint}`,
          '--yes',
          '--run-dir',
          join(dir, `run-bk${i}`),
        ]),
        0,
      );
    const ids = async () => {
      const r = await cli(['backup', 'list', 's3://bkt/lab', '--endpoint', s3.endpoint, '-o', 'json']);
      return (JSON.parse(r.stdout) as Array<{ id: string }>).map((m) => m.id);
    };
    const four = await ids();
    expect(four).toHaveLength(4);
    const base = ['backup', 'prune', 's3://bkt/lab', '--endpoint', s3.endpoint, '--keep', '2'];
    const dry = await cli(base);
    expectCode(dry, 0);
    expect(dry.stdout).toContain(`would delete ${four[1]} `);
    expect(dry.stdout).toContain(`would delete ${four[0]} `);
    expect(await ids()).toEqual(four);
    expectCode(await cli([...base, '--yes']), 0);
    expect(await ids()).toEqual(four.slice(2));
    const audit = readFileSync(join(ROOT, '.lifeboat/backup-audit.jsonl'), 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(audit)).toMatchObject({ type: 'backup.prune', removed: [four[1], four[0]] });
    expect(audit.includes(SECRET)).toBe(false);
  });

  it('kill -9 during the upload, resume: exactly one more complete backup, no partial one, no parts, no staging', async () => {
    const listed = async () => {
      const r = await cli(['backup', 'list', 's3://bkt/lab', '--endpoint', s3.endpoint, '-o', 'json']);
      expectCode(r, 0);
      return (JSON.parse(r.stdout) as Array<{ id: string; files: unknown[] }>).map((m) => m.id);
    };
    const before = await listed();
    const runDir = join(dir, 'run-kill');
    await runAndKill(
      [
        'run',
        'backup',
        '-i',
        lab.inventoryPath,
        '--set',
        'to=s3://bkt/lab',
        '--set',
        `endpoint=${s3.endpoint}`,
        '--yes',
      ],
      runDir,
      stepStarted('copy-off/publish'),
    );
    expect(await listed()).toEqual(before);
    expectCode(await cli(['resume', runDir, '--yes']), 0);
    const after = await listed();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 1);
    const store = openStore('s3://bkt/lab', { endpoint: s3.endpoint });
    try {
      expect(await store.pendingUploads()).toEqual([]);
      const objs = (await store.list(`${after.at(-1)}/`)).map((o) => o.key);
      expect(objs).toHaveLength(7);
    } finally {
      store.close();
    }
    expect(existsSync(join(ROOT, '.lifeboat/staging', after.at(-1)!))).toBe(false);
  });
});
