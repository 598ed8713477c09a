// Backups in a real S3-protocol server (s3rver in its own process): multipart upload of a >64 MiB file encrypted to an
// age and an SSH recipient and fetched back identical; wrong credentials and a missing bucket are one line, exit 2;
// an upload killed mid-way leaves no backup, the resumed one aborts its stale parts and makes exactly one; prune aborts
// unfinished uploads older than --stale-hours; prune --keep 2 removes the two oldest.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { AGE_MAGIC, loadIdentities } from '../../src/backup/age.js';
import { fetchFile, getManifest, listBackups, putFile, putManifest } from '../../src/backup/backups.js';
import { openStore, type Store } from '../../src/backup/store.js';
import { waitFor } from '../../src/lab/wait.js';
import { cli, expectCode, ROOT } from './runbook-helpers.js';
import { startS3, type S3Server } from './s3-server.js';

let s3: S3Server;
let dir: string;
let store: Store;
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

beforeAll(async () => {
  s3 = await startS3(['bkt']);
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-s3t-'));
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  store = openStore('s3://bkt/prod', { endpoint: s3.endpoint });
});
afterAll(async () => {
  store?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A file of random bytes written in 1 MiB chunks (never whole in memory). */
async function bigFile(name: string, mib: number): Promise<string> {
  const p = join(dir, name);
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < mib; i++) yield randomBytes(1 << 20);
      })(),
    ),
    createWriteStream(p),
  );
  return p;
}

describe('backups in an S3-compatible object store', () => {
  it('a >64 MiB file goes up in parts, encrypted to an age and an SSH key; each identity fetches it back identical', async () => {
    const f = await bigFile('big.db', 70);
    const id = await generateIdentity();
    writeFileSync(join(dir, 'id.txt'), id + '\n', { mode: 0o600 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ssh')]);
    const rcp = [await identityToRecipient(id), readFileSync(join(dir, 'ssh.pub'), 'utf8')];
    const stored = await putFile(store, 'c-1', 'etcd-a.db', f, sha(f), rcp);
    expect(stored.recipients).toHaveLength(2);
    expect(stored.storedBytes).toBeGreaterThan(70 << 20);
    await putManifest(store, {
      format: 'lifeboat-backup/1',
      id: 'c-1',
      cluster: 'c',
      takenAt: new Date().toISOString(),
      encrypted: true,
      verified: true,
      members: [{ member: 'a', file: 'etcd-a.db' }],
      files: [stored],
    });
    const head: Buffer[] = [];
    for await (const c of await store.get('c-1/etcd-a.db.age')) {
      head.push(c as Buffer);
      break;
    }
    expect(Buffer.concat(head).subarray(0, AGE_MAGIC.length).toString()).toBe(AGE_MAGIC);
    for (const idf of ['id.txt', 'ssh']) {
      const out = join(dir, `back-${idf}.db`);
      await fetchFile(
        store,
        'c-1',
        (await getManifest(store, 'c-1')).files[0]!,
        out,
        loadIdentities(join(dir, idf)),
      );
      expect(sha(out)).toBe(sha(f));
    }
    const r = await cli([
      'backup',
      'verify',
      's3://bkt/prod/c-1',
      '--endpoint',
      s3.endpoint,
      '--identity',
      join(dir, 'ssh'),
    ]);
    // The random file is not an etcd snapshot: verify fetches, decrypts and hashes it, then the snapshot check refuses it.
    expectCode(r, 2);
    expect(r.stderr).toMatch(/etcd-a\.db: not an etcd snapshot/);
    const noId = await cli([
      'backup',
      'fetch',
      's3://bkt/prod/c-1',
      join(dir, 'f'),
      '--endpoint',
      s3.endpoint,
    ]);
    expectCode(noId, 2);
    expect(noId.stderr).toMatch(/is encrypted .*--identity/);
  });

  it('an upload that fails mid-way (its source breaks) aborts its own multipart upload: no parts left', async () => {
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent++ < 20) this.push(randomBytes(1 << 20));
        else this.destroy(new Error('source gone'));
      },
    });
    await expect(store.put('f-1/x.db', body, {})).rejects.toThrow();
    expect(await store.pendingUploads('f-1/')).toEqual([]);
    expect(await store.list('f-1/')).toEqual([]);
  });

  it('wrong credentials and a missing bucket: one clear line each, exit 2', async () => {
    const wrong = await cli(['backup', 'list', 's3://bkt/prod', '--endpoint', s3.endpoint], 60_000, {
      AWS_ACCESS_KEY_ID: 'NOT-A-KEY',
    });
    expectCode(wrong, 2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/refused the credentials \(InvalidAccessKeyId\)/);
    const none = await cli(['backup', 'list', 's3://nothere/prod', '--endpoint', s3.endpoint]);
    expectCode(none, 2);
    expect(none.stderr).toMatch(/s3:\/\/nothere\/prod.*bucket does not exist/);
    expect(none.stderr).not.toMatch(/\n\s+at /);
  });

  /** Starts publishing ID (a small then a 90 MiB file) and kills it -9 once the big file's parts are being stored. */
  async function killMidUpload(id: string): Promise<string[]> {
    const a = await bigFile(`${id}-a.db`, 2);
    const b = await bigFile(`${id}-b.db`, 90);
    const args = [
      'test/lab/s3-publish-child.mjs',
      's3://bkt/kill',
      s3.endpoint,
      id,
      `${a}|${sha(a)}|a.db`,
      `${b}|${sha(b)}|b.db`,
    ];
    const child = spawn('node', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const gone = new Promise((res) => child.on('exit', res));
    const kill = openStore('s3://bkt/kill', { endpoint: s3.endpoint });
    try {
      await waitFor(async () => (await partsOf(kill, `${id}/b.db`)) > 0, {
        timeoutMs: 60_000,
        intervalMs: 20,
        what: `parts of ${id}/b.db stored`,
      });
    } finally {
      kill.close();
    }
    process.kill(child.pid!, 'SIGKILL');
    await gone;
    expect(out).toContain('put a.db');
    expect(out).not.toMatch(/manifest/);
    return args;
  }

  /** Parts s3rver holds on disk for the pending upload of KEY (0 when there is none). */
  async function partsOf(st: Store, key: string): Promise<number> {
    const p = (await st.pendingUploads(key)).find((u) => u.key === key);
    if (!p) return 0;
    return readdirSync(join(s3.dir, 'bkt', '._S3rver_uploads', p.id)).filter((n) => /^\d+$/.test(n)).length;
  }

  it('an upload killed mid-way is no backup; resumed, its stale parts are aborted and exactly one backup is listed', async () => {
    const args = await killMidUpload('k-1');
    const kill = openStore('s3://bkt/kill', { endpoint: s3.endpoint });
    expect(await listBackups(kill)).toEqual([]);
    expect((await kill.pendingUploads('k-1/')).map((p) => p.key)).toEqual(['k-1/b.db']);
    let out = '';
    const again = await new Promise<number | null>((res) => {
      const c = spawn('node', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      c.stdout.on('data', (d) => (out += d));
      c.on('exit', res);
    });
    expect(again).toBe(0);
    expect(out).toContain('aborted 1');
    expect(await kill.pendingUploads('k-1/')).toEqual([]);
    expect(readdirSync(join(s3.dir, 'bkt', '._S3rver_uploads'))).toEqual([]);
    const all = await listBackups(kill);
    expect(all.map((m) => m.id)).toEqual(['k-1']);
    expect(all[0]!.files.map((f) => f.name)).toEqual(['a.db', 'b.db']);
    kill.close();
  });

  it('prune aborts unfinished uploads older than --stale-hours (dry run first, audited) and leaves younger ones', async () => {
    await killMidUpload('k-2');
    await killMidUpload('k-3');
    const kill = openStore('s3://bkt/kill', { endpoint: s3.endpoint });
    const old = (await kill.pendingUploads('k-2/'))[0]!;
    // k-2 began two days ago (its start time is what s3rver reports as Initiated).
    const when = new Date(Date.now() - 48 * 3_600_000);
    utimesSync(join(s3.dir, 'bkt', '._S3rver_uploads', old.id, 'key'), when, when);
    const base = ['backup', 'prune', 's3://bkt/kill', '--endpoint', s3.endpoint, '--keep', '5'];
    const dry = await cli([...base, '--stale-hours', '24']);
    expectCode(dry, 0);
    expect(dry.stdout).toContain('would abort unfinished upload k-2/b.db');
    expect(dry.stdout).not.toContain('k-3/');
    expect((await kill.pendingUploads()).map((p) => p.key).sort()).toEqual(['k-2/b.db', 'k-3/b.db']);
    expectCode(await cli([...base, '--stale-hours', '24', '--yes']), 0);
    expect((await kill.pendingUploads()).map((p) => p.key)).toEqual(['k-3/b.db']);
    const audit = readFileSync(join(ROOT, '.lifeboat/backup-audit.jsonl'), 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(audit)).toMatchObject({ type: 'backup.prune', removed: [], aborted: ['k-2/b.db'] });
    kill.close();
  });

  it('prune --keep 2 after four backups: the dry run names the two oldest, --yes deletes exactly them, audited', async () => {
    const small = join(dir, 's.db');
    writeFileSync(small, 'x');
    for (let i = 1; i <= 4; i++) {
      const f = await putFile(store, `p-${i}`, 's.db', small, sha(small));
      await putManifest(store, {
        format: 'lifeboat-backup/1',
        id: `p-${i}`,
        cluster: 'pc',
        takenAt: `2026-01-0${i}T00:00:00.000Z`,
        encrypted: false,
        verified: true,
        members: [],
        files: [f],
      });
    }
    const base = ['backup', 'prune', 's3://bkt/prod', '--endpoint', s3.endpoint, '--keep', '2'];
    const dry = await cli(base);
    expectCode(dry, 0);
    expect(dry.stdout).toMatch(/would delete p-2 .*\nwould delete p-1 /);
    expect((await listBackups(store, 'pc')).map((m) => m.id)).toEqual(['p-1', 'p-2', 'p-3', 'p-4']);
    const yes = await cli([...base, '--yes']);
    expectCode(yes, 0);
    expect((await listBackups(store, 'pc')).map((m) => m.id)).toEqual(['p-3', 'p-4']);
    expect((await store.list('p-1/')).length).toBe(0);
    const audit = readFileSync(join(ROOT, '.lifeboat/backup-audit.jsonl'), 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(audit)).toMatchObject({
      type: 'backup.prune',
      target: 's3://bkt/prod',
      removed: ['p-2', 'p-1'],
    });
    expect(audit).not.toContain(s3.secretAccessKey);
  });
});
