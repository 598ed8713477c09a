// renew-certs on docker (RKE's kube-etcd-IP.pem for server and peer, kube-node.pem for the API server, kube-ca-key.pem)
// and k3s-external (etcd.conf's certs and k3s's datastore client cert): the must-show chain of the systemd test.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { labBreak, labDown, labStatus, labUp, waitFor, type Lab } from '../../src/lab/index.js';
import { expectDiagnoseNamesExpired, expectRenewed, sansOf, stampOf } from './renew-certs-helpers.js';
import { cli, clusterValues, expectCode, expectSameData, labEtcdVersion } from './runbook-helpers.js';

describe.each(['docker', 'k3s-external'] as const)('renew-certs, %s', (mode) => {
  let lab: Lab;
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-rcl-'));
  beforeAll(async () => {
    lab = await labUp({
      dir: join(dir, 'lab'),
      members: 3,
      mode,
      seedData: true,
      etcdVersion: labEtcdVersion(),
    });
  });
  afterAll(async () => {
    await labDown(join(dir, 'lab')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('expired certificates: diagnose names each, renew-certs re-issues them with the same SANs for a year', async () => {
    const want = await clusterValues(lab);
    const sansBefore = await sansOf(lab);
    await labBreak(lab, 'expire-certs');
    await expectDiagnoseNamesExpired(lab);
    const runDir = join(dir, 'run');
    expectCode(await cli(['run', 'renew-certs', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir]), 0);
    expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
    await expectRenewed(lab, sansBefore, stampOf(runDir));
    // The lab's own status (expectHealthyCluster reads kubeadm's paths): etcd and the client on its new cert answer.
    await waitFor(
      async () =>
        (await labStatus(lab)).members.every((s) => s.etcdUp && s.healthy && s.apiserver?.ok === true),
      { timeoutMs: 60_000, intervalMs: 500, what: 'every member and API server healthy' },
    );
    expectSameData(await clusterValues(lab), want);
  });
});
