// A divergent member (lab break diverge-member: its db edited in place, raft in agreement): diagnose names it and
// replace-member brings hashkv equal everywhere with the majority's data. On etcd 3.5 the member serves its divergent
// data; on 3.6+ with kubeadm's InitialCorruptCheck it refuses to start, and diagnose names it as down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  etcdctl,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  labEtcdVersion,
  stepsRun,
} from './runbook-helpers.js';

let lab: Lab;
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-dv-'));
beforeAll(async () => {
  lab = await labUp({ dir: join(dir, 'lab'), members: 3, seedData: true, etcdVersion: labEtcdVersion() });
});
afterAll(async () => {
  await labDown(join(dir, 'lab')).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

interface Diag {
  disagreeing: string[];
  reasons: string[];
}

describe('diverge-member -> replace-member', () => {
  it('diagnose names the divergent member; replace-member on it: hashkv equal, the majority data kept', async () => {
    const victim = lab.members[1]!.name;
    const want = await clusterValues(lab, lab.members[0]!.name);
    const broke = await labBreak(lab, 'diverge-member', victim);
    const bad = await cli(['diagnose', '-i', lab.inventoryPath, '-o', 'json']);
    expectCode(bad, 1);
    const d = JSON.parse(bad.stdout) as Diag;
    expect(d.reasons.join('\n')).toContain(`— run replace-member --set failed=${victim}`);
    if (broke.divergent === 'serving') {
      expect(d.disagreeing).toEqual([victim]);
      // A read through the victim is served from its own store: exactly one object differs from the majority's.
      const theirs = await clusterValues(lab, victim);
      expect([...want].filter(([k, v]) => !theirs.get(k)?.equals(v))).toHaveLength(1);
    } else {
      expect(d.reasons.join('\n')).toContain(`${victim}: etcd is not running`);
    }

    const r = await cli([
      'run',
      'replace-member',
      '-i',
      lab.inventoryPath,
      '--set',
      `failed=${victim}`,
      '--yes',
      '--run-dir',
      join(dir, 'run'),
    ]);
    expectCode(r, 0);
    expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
    await expectHealthyCluster(lab, { asideOn: [victim] });
    for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
  });

  it("with the CORRUPT alarm raised for it (as etcd's corruption check does): replaced, then the alarm disarmed", async () => {
    const victim = lab.members[2]!.name;
    const want = await clusterValues(lab, lab.members[0]!.name);
    await labBreak(lab, 'diverge-member', victim);
    await labBreak(lab, 'corrupt-alarm', victim);
    expect(await etcdctl(lab, 'alarm list')).toMatch(/alarm:CORRUPT/);
    const bad = await cli(['diagnose', '-i', lab.inventoryPath, '-o', 'json']);
    expect(bad.code, bad.stdout + bad.stderr).not.toBe(0);
    expect((JSON.parse(bad.stdout) as Diag).reasons.join('\n')).toContain(
      `— run replace-member --set failed=${victim}`,
    );
    const runDir = join(dir, 'run-corrupt');
    const r = await cli([
      'run',
      'replace-member',
      '-i',
      lab.inventoryPath,
      '--set',
      `failed=${victim}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    expect(stepsRun(runDir)).toEqual([
      'membership/remove',
      'alarm/disarm-corrupt',
      'join/add-replacement',
      'config/initial-cluster',
      'verify/verify-cluster',
    ]);
    expect((await etcdctl(lab, 'alarm list')).trim()).toBe('');
    expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
    await expectHealthyCluster(lab, { asideOn: [lab.members[1]!.name, victim] });
    for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
    await etcdctl(lab, 'put /lifeboat-test/after-corrupt ok');
    await etcdctl(lab, 'del /lifeboat-test/after-corrupt');
  });
});
