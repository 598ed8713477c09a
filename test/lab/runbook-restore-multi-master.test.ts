// restore-multi-master end to end on the lab: after deletes and changes, every key and value equals the snapshot's;
// kill -9 mid-run then resume gives the same; a snapshot with a wrong hash is refused before any host is touched.
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labExec, labUp, type Lab } from '../../src/lab/index.js';
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
  labEtcdVersion,
  readAuditEvents,
  runAndKill,
  snapshotValues,
  stepStarted,
  stepsRun,
  takeSnapshot,
  damage as damageOnly,
} from './runbook-helpers.js';

const damage = (lab: Lab, tag: string) => damageOnly(lab, tag, { overwrite: true });

const aside = async (lab: Lab) =>
  (
    await Promise.all(
      lab.members.map((m) =>
        labExec(
          lab,
          m.name,
          'ls -d /var/lib/etcd.before-* /var/lib/etcd/member.before-* 2>/dev/null | wc -l',
        ),
      ),
    )
  ).map((r) => Number(r.stdout.trim()));

describe('restore-multi-master, static-pod, 3 members', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-rmm-sp-'));
  let lab: Lab;
  let snap: string;
  let want: Map<string, Buffer>;

  beforeAll(async () => {
    lab = await labUp({
      dir: join(dir, 'lab'),
      members: 3,
      mode: 'static-pod',
      seedData: true,
      etcdVersion: labEtcdVersion(),
    });
    snap = await takeSnapshot(lab, join(dir, 'good.db'));
    want = snapshotValues(snap);
    expect(want.size).toBeGreaterThan(1000);
    expect([...want.keys()].every((k) => k.startsWith('/'))).toBe(true);
    expectSameData(await clusterValues(lab), want);
  });
  afterAll(async () => {
    await labDown(join(dir, 'lab'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a snapshot whose hash is wrong (exit 2) before touching any host', async () => {
    const bad = join(dir, 'bad.db');
    copyFileSync(snap, bad);
    // Flip one byte of the sha256 that `snapshot save` appends: the db is intact, its hash is wrong.
    const fd = openSync(bad, 'r+');
    const at = statSync(bad).size - 1;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    const before = await clusterValues(lab);
    const runDir = join(dir, 'run-bad');
    const r = await cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${bad}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 2);
    expect(r.stderr).toMatch(/sha256 does not match/);
    expect(stepsRun(runDir)).toEqual([]);
    expect(existsSync(join(runDir, 'audit.jsonl'))).toBe(false);
    expectSameData(await clusterValues(lab), before);
    expect(await aside(lab)).toEqual([0, 0, 0]);
    for (const m of lab.members) {
      const l = await labExec(lab, m.name, 'ls /backup');
      expect(l.stdout, m.name).not.toMatch(/lifeboat-restore|\.lifeboat-lock/);
    }
  });

  it('restores after deletes and changes: keys and values equal the snapshot, cluster healthy', async () => {
    await damage(lab, 'a');
    expect((await clusterValues(lab)).size).not.toBe(want.size);
    const before = await clusterRevision(lab);
    const starts = await componentStarts(lab);
    const runDir = join(dir, 'run-1');
    const r = await cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    // The version the lab reports decides: 3.5 bumps the revision, 3.4 records the warning.
    await expectRevisionOutcome(lab, { runDir, stderr: r.stderr, before });
    await expectComponentsRestarted(lab, starts);
    await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name) });
    await expectDataDirOwnership(lab);
    for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
  });

  it('kill -9 during the restore step, then resume: same result', async () => {
    await damage(lab, 'b');
    const runDir = join(dir, 'run-kill');
    const seen = await runAndKill(
      ['run', 'restore-multi-master', '-i', lab.inventoryPath, '--set', `snapshot=${snap}`, '--yes'],
      runDir,
      stepStarted('restore/restore'),
    );
    expect(seen.some((e) => e.type === 'run.end')).toBe(false);
    const r = await cli(['resume', runDir, '--yes']);
    expectCode(r, 0);
    const ev = readAuditEvents(runDir);
    expect(ev.filter((e) => e.type === 'run.resume')).toHaveLength(1);
    expect(ev.at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name) });
    await expectDataDirOwnership(lab);
    expectSameData(await clusterValues(lab), want);
    expect(await aside(lab)).toEqual([2, 2, 2]); // one aside dir per restore run, none deleted
  });
});

describe('restore-multi-master, systemd, 5 members', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-rmm-sd-'));
  let lab: Lab;

  beforeAll(async () => {
    lab = await labUp({
      dir: join(dir, 'lab'),
      members: 5,
      mode: 'systemd',
      seedData: true,
      etcdVersion: labEtcdVersion(),
    });
  });
  afterAll(async () => {
    await labDown(join(dir, 'lab'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('restores after deletes and changes: keys and values equal the snapshot, etcd user owns the data dirs', async () => {
    const snap = await takeSnapshot(lab, join(dir, 'good.db'));
    const want = snapshotValues(snap);
    expectSameData(await clusterValues(lab), want);
    await damage(lab, 'c');
    const before = await clusterRevision(lab);
    const starts = await componentStarts(lab);
    const runDir = join(dir, 'run-1');
    const r = await cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    await expectRevisionOutcome(lab, { runDir, stderr: r.stderr, before });
    await expectComponentsRestarted(lab, starts);
    await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name) });
    await expectDataDirOwnership(lab);
    expectSameData(await clusterValues(lab), want);
  });
});
