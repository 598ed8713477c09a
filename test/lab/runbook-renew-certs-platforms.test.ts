// renew-certs on the other layouts, the full must-show chain on systemd (OpenShift 3's /etc/etcd, CA key in
// /etc/etcd/ca/): lab break expire-certs -> diagnose names each cert, etcd fails -> run renew-certs --yes -> diagnose 0,
// same SANs, a year of validity, the old pairs in certs-before-STAMP/, keys and values intact.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
import { expectDiagnoseNamesExpired, expectRenewed, sansOf, stampOf } from './renew-certs-helpers.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  labEtcdVersion,
} from './runbook-helpers.js';

let lab: Lab;
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-rcp-'));
beforeAll(async () => {
  lab = await labUp({
    dir: join(dir, 'lab'),
    members: 3,
    mode: 'systemd',
    seedData: true,
    etcdVersion: labEtcdVersion(),
  });
});
afterAll(async () => {
  await labDown(join(dir, 'lab')).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('renew-certs, systemd', () => {
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
});
