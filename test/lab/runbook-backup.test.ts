// backup end to end on the lab: every chosen member snapshotted and checked, snapshots and config archives copied to the
// operator machine with sha256 checked, a manifest written; each snapshot holds exactly the keys and values the cluster
// served; kill -9 mid-run then resume gives the same; with a member down, the others are backed up.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labBreak, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectSameData,
  readAuditEvents,
  runAndKill,
  snapshotValues,
  twoLabs,
} from './runbook-helpers.js';

interface Manifest {
  cluster: string;
  runId: string;
  members: Array<{
    member: string;
    file: string;
    config: string;
    etcdVersion?: string;
    hash: number;
    revision: number;
    totalKey: number;
    sha256: string;
  }>;
}

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** The one backup folder under `to`, its manifest checked against the files next to it and the cluster's data. */
async function expectBackup(
  lab: Lab,
  to: string,
  members: string[],
  want: Map<string, Buffer>,
): Promise<Manifest> {
  const [sub, ...more] = readdirSync(to);
  expect(more).toEqual([]);
  const out = join(to, sub!);
  const man = JSON.parse(readFileSync(join(out, 'backup-manifest.json'), 'utf8')) as Manifest;
  expect(man.cluster).toBe(lab.cluster);
  expect(man.members.map((m) => m.member)).toEqual(members);
  for (const m of man.members) {
    const db = join(out, m.file);
    expect(sha256(db), `${m.member} sha256`).toBe(m.sha256);
    expect(statSync(join(out, 'backup-manifest.json')).mode & 0o777).toBe(0o600);
    expect(m.etcdVersion).toMatch(/^3\.\d+\.\d+$/);
    expect(m.revision).toBeGreaterThan(1000);
    expect(typeof m.hash).toBe('number');
    expect(m.totalKey).toBeGreaterThanOrEqual(want.size);
    expectSameData(snapshotValues(db), want);
    const listing = execFileSync('tar', ['tzf', join(out, m.config)], { encoding: 'utf8' });
    if (lab.mode === 'static-pod') {
      expect(listing).toMatch(/\.\/pki\/etcd\/ca\.crt/);
      expect(listing).toMatch(/\.\/manifests\/etcd\.yaml/);
    } else {
      expect(listing).toMatch(/\.\/etc-etcd\/etcd\.conf/);
    }
  }
  return man;
}

let sp: Lab;
let sd: Lab;
const dir = twoLabs('bk', { sp: 3, sd: 5 }, (a, b) => {
  sp = a;
  sd = b;
});

describe('backup, static-pod, 3 members', () => {
  it('snapshots every member; each holds exactly the keys and values served; config archived; manifest written', async () => {
    const want = await clusterValues(sp);
    const to = join(dir, 'out-1');
    const r = await cli([
      'run',
      'backup',
      '-i',
      sp.inventoryPath,
      '--set',
      `to=${to}`,
      '--yes',
      '--run-dir',
      join(dir, 'run-1'),
    ]);
    expectCode(r, 0);
    await expectBackup(sp, to, ['cp-1', 'cp-2', 'cp-3'], want);
    expectSameData(await clusterValues(sp), want); // a backup changes nothing
  });

  it('kill -9 during the download, then resume: the same complete backup', async () => {
    const want = await clusterValues(sp);
    const to = join(dir, 'out-kill');
    const runDir = join(dir, 'run-kill');
    const seen = await runAndKill(
      ['run', 'backup', '-i', sp.inventoryPath, '--set', `to=${to}`, '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && e.stateId === 'copy-off/download' && e.member === 'cp-2',
    );
    expect(seen.some((e) => e.type === 'run.end')).toBe(false);
    const r = await cli(['resume', runDir, '--yes']);
    expectCode(r, 0);
    expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    await expectBackup(sp, to, ['cp-1', 'cp-2', 'cp-3'], want);
  });
});

describe('backup, systemd, 5 members', () => {
  it('with a member down: a backup of all stops at preflight (exit 1); the chosen healthy members are backed up', async () => {
    const want = await clusterValues(sd);
    await labBreak(sd, 'kill-member', 'cp-5');
    const all = await cli([
      'run',
      'backup',
      '-i',
      sd.inventoryPath,
      '--set',
      `to=${join(dir, 'out-all')}`,
      '--yes',
      '--run-dir',
      join(dir, 'run-all'),
    ]);
    expectCode(all, 1);
    expect(all.stderr).toMatch(/preflight\/health failed on cp-5/);
    // The failed run holds the cluster lock until it is finished one way or another: abort it (recorded).
    expectCode(
      await cli(['run', 'backup', '-i', sd.inventoryPath, '--yes', '--run-dir', join(dir, 'run-other')]),
      2,
    );
    expectCode(await cli(['resume', join(dir, 'run-all'), '--abort']), 5);
    expect(readAuditEvents(join(dir, 'run-all')).at(-1)).toMatchObject({
      type: 'run.end',
      status: 'aborted',
    });
    const to = join(dir, 'out-4');
    const r = await cli([
      'run',
      'backup',
      '-i',
      sd.inventoryPath,
      '--set',
      `to=${to}`,
      '--set',
      'members=cp-1,cp-2,cp-3,cp-4',
      '--yes',
      '--run-dir',
      join(dir, 'run-4'),
    ]);
    expectCode(r, 0);
    await expectBackup(sd, to, ['cp-1', 'cp-2', 'cp-3', 'cp-4'], want);
  });
});
