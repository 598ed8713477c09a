// renew-certs on the lab: every etcd certificate re-signed already expired (lab break expire-certs) -> diagnose names each
// and etcd fails -> renew-certs --yes -> diagnose 0, same SANs, a year of validity, old pairs in certs-before-STAMP/;
// kill -9 mid-renew, then resume. The systemd, docker and k3s-external layouts: runbook-renew-certs-platforms.test.ts.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
import { expectDiagnoseNamesExpired, expectRenewed, sansOf, stampOf } from './renew-certs-helpers.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  labEtcdVersion,
  readAuditEvents,
} from './runbook-helpers.js';

let lab: Lab;
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-rc-'));
beforeAll(async () => {
  lab = await labUp({
    dir: join(dir, 'lab'),
    members: 3,
    mode: 'static-pod',
    seedData: true,
    etcdVersion: labEtcdVersion(),
  });
});
afterAll(async () => {
  await labDown(join(dir, 'lab')).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('renew-certs, static-pod', () => {
  it('expired certificates: diagnose names each, renew-certs re-issues them with the same SANs for a year', async () => {
    const want = await clusterValues(lab);
    const sansBefore = await sansOf(lab);
    await labBreak(lab, 'expire-certs');
    await expectDiagnoseNamesExpired(lab);

    const runDir = join(dir, 'run');
    expectCode(await cli(['run', 'renew-certs', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir]), 0);
    expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
    await expectRenewed(lab, sansBefore, stampOf(runDir));
    await expectHealthyCluster(lab);
    expectSameData(await clusterValues(lab), want);
  });

  it('kill -9 right after the second member was renewed, then resume: the same healthy result', async () => {
    const want = await clusterValues(lab);
    const sansBefore = await sansOf(lab);
    await labBreak(lab, 'expire-certs');
    const runDir = join(dir, 'run-killed');
    const killed = await cli(
      ['run', 'renew-certs', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir],
      170_000,
      { LIFEBOAT_FAILPOINT: `after-cmd:renew/renew/${lab.members[1]!.name}/0` },
    );
    expect(killed.code).not.toBe(0);
    expect(readAuditEvents(runDir).some((e) => e.type === 'run.end')).toBe(false);
    expectCode(await cli(['resume', runDir, '--yes']), 0);
    expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
    await expectRenewed(lab, sansBefore, stampOf(runDir));
    await expectHealthyCluster(lab);
    expectSameData(await clusterValues(lab), want);
  });
});
