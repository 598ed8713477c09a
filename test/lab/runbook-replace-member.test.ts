// replace-member end to end on the lab: a member wiped, corrupted or killed is removed by ID and added back (learner,
// promoted) with every key and value intact; kill -9 mid-run then resume gives the same; without quorum it is refused.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { labBreak, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  etcdctl,
  expectCode,
  expectDataDirOwnership,
  expectHealthyCluster,
  expectSameData,
  readAuditEvents,
  runAndKill,
  stepsRun,
  twoLabs,
} from './runbook-helpers.js';

const memberId = async (lab: Lab, name: string) =>
  /^([0-9a-f]+), \w+, (\S+),/m.exec(
    (await etcdctl(lab, 'member list -w simple')).split('\n').find((l) => l.includes(`, ${name}, `)) ?? '',
  )?.[1];

/** Both labs come up together; each describe uses its own. */
let sp: Lab;
let sd: Lab;
const dir = twoLabs('rm', { sp: 3, sd: 5 }, (a, b) => {
  sp = a;
  sd = b;
});

describe('replace-member, static-pod, 3 members', () => {
  let want: Map<string, Buffer>;
  beforeAll(async () => {
    want = await clusterValues(sp);
  });

  it('wiped member: removed by ID, added back as learner, promoted; every key and value intact', async () => {
    const before = await memberId(sp, 'cp-2');
    await labBreak(sp, 'wipe-member', 'cp-2');
    const runDir = join(dir, 'run-wipe');
    const r = await cli([
      'run',
      'replace-member',
      '-i',
      sp.inventoryPath,
      '--set',
      'failed=cp-2',
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    expect(stepsRun(runDir)).toEqual([
      'membership/remove',
      'join/add-replacement',
      'config/initial-cluster',
      'verify/verify-cluster',
    ]);
    expect(await memberId(sp, 'cp-2')).not.toBe(before); // a new member, not the old one restarted
    await expectHealthyCluster(sp, { asideOn: ['cp-2'] });
    await expectDataDirOwnership(sp);
    for (const m of sp.members) expectSameData(await clusterValues(sp, m.name), want);
  });

  it('corrupted member, kill -9 after member add, then resume: same result', async () => {
    await labBreak(sp, 'corrupt-member', 'cp-3');
    const runDir = join(dir, 'run-corrupt');
    const seen = await runAndKill(
      ['run', 'replace-member', '-i', sp.inventoryPath, '--set', 'failed=cp-3', '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && e.stateId === 'join/add-replacement' && e.index === 3,
    );
    expect(seen.some((e) => e.type === 'run.end')).toBe(false);
    const r = await cli(['resume', runDir, '--yes']);
    expectCode(r, 0);
    expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    await expectHealthyCluster(sp, { asideOn: ['cp-3'] });
    expectSameData(await clusterValues(sp), want);
  });

  it('refuses without quorum (exit 2), nothing run', async () => {
    await labBreak(sp, 'lose-quorum');
    const runDir = join(dir, 'run-noquorum');
    const r = await cli([
      'run',
      'replace-member',
      '-i',
      sp.inventoryPath,
      '--set',
      'failed=cp-2',
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 2);
    expect(r.stderr).toMatch(/no quorum: 0 healthy member\(s\) besides cp-2, 2 needed; use recover-quorum/);
    expect(stepsRun(runDir)).toEqual([]);
  });
});

describe('replace-member, systemd, 5 members', () => {
  it('killed member (data intact, etcd down): replaced; every key and value intact', async () => {
    const want = await clusterValues(sd);
    await labBreak(sd, 'kill-member', 'cp-2');
    const r = await cli([
      'run',
      'replace-member',
      '-i',
      sd.inventoryPath,
      '--set',
      'failed=cp-2',
      '--yes',
      '--run-dir',
      join(dir, 'run-kill'),
    ]);
    expectCode(r, 0);
    await expectHealthyCluster(sd, { asideOn: ['cp-2'] });
    await expectDataDirOwnership(sd);
    expectSameData(await clusterValues(sd), want);
  });
});
