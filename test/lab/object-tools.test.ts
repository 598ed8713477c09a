// What an operator pipes from etcdctl into `lifeboat decode` gives the object (the seeded lab's real values), and
// `backup verify --restore` restore-tests a backup (and catches another cluster's snapshot in it), and
// `snapshot analyze` of a lab whose quota was filled (lab break fill-quota) names what filled it.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStoredValue, objectOf } from '../../src/k8s/value.js';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
import { seedObjects } from '../../src/lab/seed.js';
import type { AnalyzeReport } from '../../src/snapshot/analyze.js';
import { startLocalEtcd } from '../../src/snapshot/etcd-local.js';
import { labTool } from './runbook-helpers.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../bin/lifeboat');
type Obj = Record<string, unknown>;

/** `lifeboat ARGS` with `input` on stdin (what a shell pipe gives it). */
function lifeboat(
  args: string[],
  input?: Buffer,
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

describe('decode from etcdctl and analyze on the lab', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-lab-objtools-'));
  let lab: Lab;
  const etcdctl = async (...args: string[]): Promise<Buffer> =>
    (
      await run(
        labTool(lab, 'etcdctl'),
        [
          `--endpoints=${lab.members[0]!.clientURL}`,
          `--cacert=${lab.client.ca}`,
          `--cert=${lab.client.cert}`,
          `--key=${lab.client.key}`,
          ...args,
        ],
        { env: { ...process.env, ETCDCTL_API: '3' }, maxBuffer: 1 << 28, encoding: 'buffer' },
      )
    ).stdout;

  beforeAll(async () => {
    lab = await labUp({ dir, members: 1, mode: 'static-pod', seedData: true, quotaBytes: 4 * 1024 * 1024 });
  }, 400_000);
  afterAll(async () => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('etcdctl get KEY --print-value-only | decode -o json -, and etcdctl get KEY | decode -o json -: the object, exit 0', async () => {
    const seeds = seedObjects();
    const picks = [seeds.find((o) => o.encoding === 'protobuf')!, seeds.find((o) => o.encoding === 'json')!];
    for (const seed of picks) {
      const valueOnly = await etcdctl('get', seed.key, '--print-value-only');
      const listed = await etcdctl('get', seed.key);
      const stored = objectOf(decodeStoredValue(valueOnly.subarray(0, -1)))!;
      for (const input of [valueOnly, listed]) {
        const r = await lifeboat(['decode', '-o', 'json', '-v', '-'], input);
        expect({ key: seed.key, code: r.code, stderr: r.stderr }).toMatchObject({ key: seed.key, code: 0 });
        const got = JSON.parse(r.stdout) as Obj;
        expect(got).toEqual(stored);
        expect((got.metadata as Obj).name).toBe((seed.object.metadata as Obj).name);
      }
    }
    // A whole prefix as `etcdctl get --prefix` prints it: every pair decoded.
    const prefix = '/registry/configmaps/';
    const count = seeds.filter((o) => o.key.startsWith(prefix)).length;
    const r = await lifeboat(['decode', '-o', 'json', '-v', '-'], await etcdctl('get', prefix, '--prefix'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`'etcdctl get' output (key line, value), ${count} value(s)`);
  });

  it("backup verify --restore: a fresh backup passes; with another cluster's snapshot in it, it fails naming the mismatch", async () => {
    const to = join(dir, 'backups');
    const bk = await lifeboat([
      'run',
      'backup',
      '-i',
      lab.inventoryPath,
      '--set',
      `to=${to}`,
      '--yes',
      '--run-dir',
      join(dir, 'run-bk'),
    ]);
    expect(bk.code, bk.stderr).toBe(0);
    const [id] = readdirSync(to);
    const ok = await lifeboat(['backup', 'verify', join(to, id!), '--restore']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /restored with etcd \d+\.\d+\.\d+, served revision \d+, \d+ keys, hashkv \d+; \d+ Kubernetes objects: \d+ decoded, 0 partly, \d+ raw/,
    );
    expect(ok.stdout).toContain('restore-tested: 1 snapshot(s)');
    // Another cluster's snapshot under this backup's name, its sha256 recomputed in the manifest.
    const other = await startLocalEtcd();
    const manifestPath = join(to, id!, 'backup-manifest.json');
    const man = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      members: { file: string; sha256?: string }[];
      files?: { name: string; sha256: string; bytes: number; storedSha256: string; storedBytes: number }[];
    };
    const snapName = man.members[0]!.file;
    try {
      await other.put('/registry/configmaps/x/y', 'not this cluster');
      await other.etcdctl('snapshot', 'save', join(to, id!, snapName));
    } finally {
      await other.stop();
    }
    // The manifest rewritten to match the other snapshot's bytes (as a backup written for the wrong cluster would be):
    // only restoring it shows it is not this cluster at that revision.
    const bytes = readFileSync(join(to, id!, snapName));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    man.members[0]!.sha256 = sha256;
    for (const f of man.files ?? [])
      if (f.name === snapName)
        Object.assign(f, { sha256, bytes: bytes.length, storedSha256: sha256, storedBytes: bytes.length });
    writeFileSync(manifestPath, JSON.stringify(man, null, 2));
    const bad = await lifeboat(['backup', 'verify', join(to, id!), '--restore']);
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/MISMATCH revision: the manifest says \d+, the restored etcd serves \d+/);
    expect(bad.stdout).toMatch(/MISMATCH hash \(snapshot status\)/);
    expect(bad.stderr).toMatch(/do not match the manifest.*do not restore it/);
  });

  it('snapshot analyze of the filled quota names the keys that filled it and says compaction frees them', async () => {
    await labBreak(lab, 'fill-quota');
    const file = join(dir, 'full.db');
    await etcdctl('snapshot', 'save', file);
    const r = await lifeboat(['snapshot', 'analyze', file, '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as AnalyzeReport;
    expect(report.byResource[0]!.resource).toBe('/lifeboat-lab/hot/*');
    expect(report.byResource[0]!.bytes).toBeGreaterThan(report.bytes * 0.8);
    expect(report.verdict).toMatch(/^\/lifeboat-lab\/hot\/\* holds \d+ % .* compaction frees it/);
    const text = await lifeboat(['snapshot', 'analyze', file]);
    expect(text.stdout).toMatch(/Verdict: +\/lifeboat-lab\/hot\/\* holds/);
  });
});
