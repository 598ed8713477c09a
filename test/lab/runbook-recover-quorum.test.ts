// recover-quorum end to end on the lab: a majority loses etcd and its data; both strategies bring every member back
// with every key and value of before; kill -9 mid-run then resume gives the same; a healthy cluster is refused.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labBreak, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  componentStarts,
  expectCode,
  expectComponentsRestarted,
  expectDataDirOwnership,
  expectHealthyCluster,
  expectSameData,
  hostRead,
  readAuditEvents,
  runAndKill,
  stepsRun,
  twoLabs,
} from './runbook-helpers.js';

/** Every member's configuration names the whole cluster, state existing (no member left able to bootstrap a cluster of its own). */
async function expectFullInitialCluster(lab: Lab): Promise<void> {
  const want = lab.members.map((m) => `${m.name}=${m.peerURL}`).join(',');
  for (const m of lab.members) {
    if (lab.mode === 'static-pod') {
      const y = await hostRead(lab, m.name, '/etc/kubernetes/manifests/etcd.yaml');
      expect(/--initial-cluster=(\S+)/.exec(y)?.[1], m.name).toBe(want);
      expect(/--initial-cluster-state=(\S+)/.exec(y)?.[1], m.name).toBe('existing');
    } else {
      const conf = await hostRead(lab, m.name, '/etc/etcd/etcd.conf');
      expect(/^ETCD_INITIAL_CLUSTER="?([^"\n]*)"?$/m.exec(conf)?.[1], m.name).toBe(want);
      expect(/^ETCD_INITIAL_CLUSTER_STATE="?([^"\n]*)"?$/m.exec(conf)?.[1], m.name).toBe('existing');
    }
  }
}

const decisionWhy = (runDir: string, id: string) =>
  String(readAuditEvents(runDir).find((e) => e.type === 'decision' && e.stateId === id)?.why ?? '');

// The two labs run side by side (most of a recovery is waiting on etcd), so the file stays near a minute and a half:
// one test per lab, concurrent; inside each, the scenarios run in order on the same lab.
let sp: Lab;
let sd: Lab;
const dir = twoLabs('rq', { sp: 3, sd: 5 }, (a, b) => {
  sp = a;
  sd = b;
});

describe.concurrent('recover-quorum', () => {
  it('static-pod, 3 members: refuses a healthy cluster; strategy snapshot; strategy force-new-cluster with kill -9 + resume', async () => {
    const lab = sp;
    const want = await clusterValues(lab);
    expect(want.size).toBeGreaterThan(1000);

    // Healthy cluster: refused with exit 2, no step run, data untouched.
    let runDir = join(dir, 'sp-healthy');
    let r = await cli(['run', 'recover-quorum', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir]);
    expectCode(r, 2);
    expect(r.stderr).toMatch(/quorum is healthy \(3\/3 healthy, 2 needed\)/);
    expect(stepsRun(runDir)).toEqual([]);
    expectSameData(await clusterValues(lab), want);

    // Strategy snapshot: one-member cluster from the survivor's snapshot, the others re-added.
    await labBreak(lab, 'lose-quorum');
    const starts = await componentStarts(lab);
    runDir = join(dir, 'sp-snapshot');
    r = await cli([
      'run',
      'recover-quorum',
      '-i',
      lab.inventoryPath,
      '--set',
      'strategy=snapshot',
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    expect(decisionWhy(runDir, 'decide/quorum')).toMatch(
      /\d\/3 members healthy, 2 needed; survivor cp-1: highest raft index/,
    );
    // After the API servers were repointed and started: the controllers restarted, in that order.
    const order = stepsRun(runDir);
    expect(order.indexOf('clients/restart-controllers')).toBeGreaterThan(
      order.indexOf('clients/start-apiservers'),
    );
    await expectComponentsRestarted(lab, starts);
    await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name), etcdServers: 'all' });
    await expectFullInitialCluster(lab);
    await expectDataDirOwnership(lab);
    for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);

    // Strategy force-new-cluster, killed right after `member add` of the first re-added member (in the member list,
    // not started yet), then resumed.
    await labBreak(lab, 'lose-quorum');
    runDir = join(dir, 'sp-force');
    const seen = await runAndKill(
      ['run', 'recover-quorum', '-i', lab.inventoryPath, '--set', 'strategy=force-new-cluster', '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && e.stateId === 'rejoin/rejoin' && e.index === 3,
    );
    expect(seen.some((e) => e.type === 'run.end')).toBe(false);
    r = await cli(['resume', runDir, '--yes']);
    expectCode(r, 0);
    const ev = readAuditEvents(runDir);
    expect(ev.some((e) => e.type === 'host.check' && e.stateId === 'rejoin/rejoin')).toBe(true);
    expect(ev.at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name), etcdServers: 'all' });
    await expectFullInitialCluster(lab);
    await expectDataDirOwnership(lab);
    expectSameData(await clusterValues(lab), want);
  });

  it('systemd, 5 members: 3 lost, strategy force-new-cluster (drop-in added, then moved aside); every key and value back', async () => {
    const lab = sd;
    const want = await clusterValues(lab);
    await labBreak(lab, 'lose-quorum', 'cp-3'); // cp-5, cp-4, cp-2 lose etcd and data; cp-1 and cp-3 survive without quorum
    const starts = await componentStarts(lab);
    const runDir = join(dir, 'sd-force');
    const r = await cli([
      'run',
      'recover-quorum',
      '-i',
      lab.inventoryPath,
      '--set',
      'strategy=force-new-cluster',
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    expect(decisionWhy(runDir, 'decide/quorum')).toMatch(
      /\d\/5 members healthy, 3 needed; survivor cp-\d: highest raft index/,
    );
    await expectComponentsRestarted(lab, starts);
    expect(
      readAuditEvents(runDir).some(
        (e) =>
          e.type === 'cmd.start' &&
          e.stateId === 'force/add-flag' &&
          /ETCD_FORCE_NEW_CLUSTER=true/.test(String(e.command)),
      ),
    ).toBe(true);
    await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name) });
    await expectFullInitialCluster(lab);
    await expectDataDirOwnership(lab);
    expectSameData(await clusterValues(lab), want);
  });
});
