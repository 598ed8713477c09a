// restore-single-master end to end on one-member labs (static-pod and systemd): after deletes and changes, every key
// and value equals the snapshot's; kill -9 mid-run then resume gives the same; a wrong hash and a multi-member
// inventory are refused before any host is touched.
import {
  closeSync,
  copyFileSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { labExec, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterRevision,
  clusterValues,
  componentStarts,
  expectCode,
  expectComponentsRestarted,
  expectDataDirOwnership,
  expectHealthyCluster,
  expectRevisionOutcome,
  expectSameData,
  readAuditEvents,
  runAndKill,
  snapshotValues,
  stepStarted,
  stepsRun,
  twoLabs,
  takeSnapshot,
  damage,
} from './runbook-helpers.js';

let sp: Lab;
let sd: Lab;
const dir = twoLabs('rsm', { sp: 1, sd: 1 }, (a, b) => {
  sp = a;
  sd = b;
});

describe('restore-single-master, static-pod, 1 member', () => {
  let snap: string;
  let want: Map<string, Buffer>;
  beforeAll(async () => {
    snap = await takeSnapshot(sp, join(dir, 'sp.db'));
    want = snapshotValues(snap);
    expectSameData(await clusterValues(sp), want);
  });

  it('refuses a snapshot whose appended hash is wrong (exit 2), no host touched', async () => {
    const bad = join(dir, 'bad.db');
    copyFileSync(snap, bad);
    const fd = openSync(bad, 'r+');
    const at = statSync(bad).size - 1;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    const runDir = join(dir, 'run-bad');
    const r = await cli([
      'run',
      'restore-single-master',
      '-i',
      sp.inventoryPath,
      '--set',
      `snapshot=${bad}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 2);
    expect(r.stderr).toMatch(/sha256 does not match/);
    expect(stepsRun(runDir)).toEqual([]);
    expect(
      (
        await labExec(
          sp,
          'cp-1',
          'ls -d /var/lib/etcd.before-* /var/lib/etcd/member.before-* 2>/dev/null | wc -l',
        )
      ).stdout.trim(),
    ).toBe('0');
    expectSameData(await clusterValues(sp), want);
  });

  it('restores after deletes and changes: keys and values equal the snapshot', async () => {
    await damage(sp, 'a');
    const before = await clusterRevision(sp);
    const starts = await componentStarts(sp);
    const runDir = join(dir, 'run-1');
    const r = await cli([
      'run',
      'restore-single-master',
      '-i',
      sp.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    await expectRevisionOutcome(sp, { runDir, stderr: r.stderr, before });
    await expectComponentsRestarted(sp, starts);
    await expectHealthyCluster(sp, { asideOn: ['cp-1'] });
    await expectDataDirOwnership(sp);
    expectSameData(await clusterValues(sp), want);
  });

  it('kill -9 right after etcd was stopped, then resume: same result', async () => {
    await damage(sp, 'b');
    const runDir = join(dir, 'run-kill');
    const seen = await runAndKill(
      ['run', 'restore-single-master', '-i', sp.inventoryPath, '--set', `snapshot=${snap}`, '--yes'],
      runDir,
      stepStarted('restore/move-aside'),
    );
    expect(seen.some((e) => e.type === 'run.end')).toBe(false);
    const r = await cli(['resume', runDir, '--yes']);
    expectCode(r, 0);
    expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    await expectHealthyCluster(sp, { asideOn: ['cp-1'] });
    expectSameData(await clusterValues(sp), want);
  });

  it('refuses an inventory with more than one member (plan says refused, exit 2)', async () => {
    // The three-member shape is decided from the inventory alone: the plan (no host contacted) already refuses.
    const inv = join(dir, 'three.yaml');
    const text = readFileSync(sp.inventoryPath, 'utf8')
      .replace(/identityFile: ssh\//, `identityFile: ${join(sp.dir, 'ssh')}/`)
      .replace(/knownHosts: ssh\//, `knownHosts: ${join(sp.dir, 'ssh')}/`);
    writeFileSync(
      inv,
      `${text.trimEnd()}\n  - name: cp-2\n    address: 127.0.250.12\n  - name: cp-3\n    address: 127.0.250.13\n`,
    );
    const r = await cli(['plan', 'restore-single-master', '-i', inv, '--set', `snapshot=${snap}`]);
    expectCode(r, 2);
    expect(r.stdout + r.stderr).toMatch(/the inventory has 3 members; use restore-multi-master/);
  });
});

describe('restore-single-master, systemd, 1 member', () => {
  it('restores after deletes and changes: keys and values equal the snapshot, etcd user owns the data dir', async () => {
    const snap = await takeSnapshot(sd, join(dir, 'sd.db'));
    const want = snapshotValues(snap);
    await damage(sd, 'c');
    const before = await clusterRevision(sd);
    const starts = await componentStarts(sd);
    const runDir = join(dir, 'run-sd');
    const r = await cli([
      'run',
      'restore-single-master',
      '-i',
      sd.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    await expectRevisionOutcome(sd, { runDir, stderr: r.stderr, before });
    await expectComponentsRestarted(sd, starts);
    await expectHealthyCluster(sd, { asideOn: ['cp-1'] });
    await expectDataDirOwnership(sd);
    expectSameData(await clusterValues(sd), want);
  });
});
