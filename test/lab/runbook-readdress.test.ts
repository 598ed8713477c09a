// readdress end to end on the lab (static-pod, 3 members): a member's host moves to a new address (lab readdress: its
// old address vanishes, etcd dies with it) and the runbook moves it while the others keep quorum; kill -9 mid-way and
// resume gives the same. Every key and value intact, peer URL, cert SANs and --etcd-servers name the new address.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labReaddress, labStatus, labUp, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  etcdctl,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  hostRead,
  labEtcdVersion,
  readAuditEvents,
  runAndKill,
  snapshotValues,
  stepsRun,
  takeSnapshot,
} from './runbook-helpers.js';
import { labExec, waitFor } from '../../src/lab/index.js';
import { METRICS_ENDPOINTS, METRICS_SLICE, seedControlPlaneEndpoints } from '../../src/lab/slices.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-readdress-'));
let lab: Lab;
let want: Map<string, Buffer>;
const LEASES = '/registry/masterleases/';
const ENDPOINTS = '/registry/services/endpoints/default/kubernetes';
const SLICE = '/registry/endpointslices/default/kubernetes';
/** What the API server stand-ins (leases, the kubernetes Endpoints and EndpointSlice) and the test as controller-manager
 *  (the control-plane Service's endpoints) rewrite: everything else must not change. */
const rewritten = new Set([ENDPOINTS, SLICE, METRICS_ENDPOINTS, METRICS_SLICE]);
const withoutLeases = (m: Map<string, Buffer>) =>
  new Map([...m].filter(([k]) => !k.startsWith(LEASES) && !rewritten.has(k)));

/** No lease of an address outside the lab, and the kubernetes Endpoints name exactly the live API servers. */
async function expectLeasesClean(): Promise<void> {
  const addrs = lab.members.map((m) => m.address).sort();
  await waitFor(
    async () => {
      const v = await clusterValues(lab);
      const leases = [...v.keys()].filter((k) => k.startsWith(LEASES)).map((k) => k.slice(LEASES.length));
      const named = (k: string) =>
        [...(v.get(k)?.toString('latin1') ?? '').matchAll(/127\.\d+\.\d+\.\d+/g)].map((x) => x[0]).sort();
      return (
        JSON.stringify([leases.sort(), named(ENDPOINTS), named(SLICE)]) ===
        JSON.stringify([addrs, addrs, addrs])
      );
    },
    {
      timeoutMs: 40_000,
      intervalMs: 500,
      what: 'leases and the kubernetes Endpoints and EndpointSlice naming only the new addresses',
    },
  );
}

beforeAll(async () => {
  lab = await labUp({
    dir: join(dir, 'lab'),
    members: 3,
    mode: 'static-pod',
    seedData: true,
    leases: true,
    cpEndpoints: true,
    etcdVersion: labEtcdVersion(),
  });
  want = withoutLeases(await clusterValues(lab));
});
afterAll(async () => {
  await labDown(join(dir, 'lab')).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** The member's certs are valid for its new address (and no longer for the old one), signed by the cluster CA. */
async function expectMoved(name: string, old: string): Promise<void> {
  const m = lab.members.find((x) => x.name === name)!;
  for (const cert of ['server', 'peer']) {
    const r = await labExec(
      lab,
      name,
      `openssl x509 -in /etc/kubernetes/pki/etcd/${cert}.crt -noout -ext subjectAltName && openssl verify -CAfile /etc/kubernetes/pki/etcd/ca.crt /etc/kubernetes/pki/etcd/${cert}.crt`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout, `${name} ${cert}.crt`).toContain(`IP Address:${m.address}`);
    expect(r.stdout, `${name} ${cert}.crt`).not.toContain(`IP Address:${old},`);
    expect((await labExec(lab, name, `ls /etc/kubernetes/pki/etcd/${cert}.crt.before-*`)).code).toBe(0);
  }
  for (const x of lab.members) {
    const etcdYaml = await hostRead(lab, x.name, '/etc/kubernetes/manifests/etcd.yaml');
    expect(etcdYaml, `${x.name} etcd.yaml`).not.toContain(`//${old}:`);
  }
  await expectHealthyCluster(lab, { etcdServers: 'all' });
  const versions = (await labStatus(lab)).members.map((s) => s.version?.split('.').slice(0, 2).join('.'));
  expect(versions, 'etcd release the members run').toEqual(lab.members.map(() => labEtcdVersion()));
  expectSameData(withoutLeases(await clusterValues(lab)), want);
  await expectLeasesClean();
  // kube-controller-manager's part (the lab has none): the control-plane Service's endpoints follow the pods' new IPs.
  await seedControlPlaneEndpoints(lab);
  expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
}

describe('readdress, static-pod, 3 members', () => {
  it('one member moved, quorum held: new peer URL, certs and --etcd-servers; every key and value intact', async () => {
    const old = lab.members[1]!.address;
    await labReaddress(lab, 'cp-2', `${lab.subnet}.21`);
    // A lease without TTL (as a key-copying restore leaves it): only the runbook removes it; diagnose names it.
    // (retried: the moved member may have been the leader, and the others are electing a new one)
    await waitFor(
      () =>
        etcdctl(lab, `put ${LEASES}${lab.subnet}.99 stale`).then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        what: 'a write to the remaining quorum',
      },
    );
    const d = await cli(['diagnose', '-i', lab.inventoryPath]);
    expectCode(d, 1);
    expect(d.stdout + d.stderr).toContain(`stale API server lease ${LEASES}${lab.subnet}.99`);
    expect(d.stdout + d.stderr).toContain(`${METRICS_SLICE} names ${old}`);
    expect(d.stdout + d.stderr).toContain(`${METRICS_ENDPOINTS} names ${old}`);
    const r = await cli([
      'run',
      'readdress',
      '-i',
      lab.inventoryPath,
      '--yes',
      '--run-dir',
      join(dir, 'run1'),
    ]);
    expectCode(r, 0);
    expect(JSON.stringify(readAuditEvents(join(dir, 'run1')))).toContain(
      `planned: ${METRICS_SLICE} names an old address; kube-controller-manager rebuilds it from the Service's live pods: kubectl -n kube-system delete endpointslice kube-etcd-metrics-x7k2p`,
    );
    await expectMoved('cp-2', old);
  });

  it('another member moved, kill -9 after its certs, then resume: same result', async () => {
    const old = lab.members[2]!.address;
    await labReaddress(lab, 'cp-3', `${lab.subnet}.23`);
    const runDir = join(dir, 'run2');
    const seen = await runAndKill(
      ['run', 'readdress', '-i', lab.inventoryPath, '--yes'],
      runDir,
      (e) =>
        e.type === 'cmd.start' && e.stateId === 'move/move-member' && e.member === 'cp-3' && e.index === 3,
    );
    expect(seen.some((e) => e.type === 'run.end')).toBe(false);
    expectCode(await cli(['resume', runDir, '--yes']), 0);
    expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    await expectMoved('cp-3', old);
  });

  it('everything moved (quorum lost): readdress refuses; restore-multi-master rebuilds on the new addresses', async () => {
    const snap = await takeSnapshot(lab, join(dir, 'before-all-moved.db'));
    const want = withoutLeases(snapshotValues(snap));
    for (const [i, m] of lab.members.entries()) await labReaddress(lab, m.name, `${lab.subnet}.${31 + i}`);
    const refused = await cli([
      'run',
      'readdress',
      '-i',
      lab.inventoryPath,
      '--yes',
      '--run-dir',
      join(dir, 'run4'),
    ]);
    expectCode(refused, 2);
    expect(refused.stderr).toMatch(/quorum lost: 0 healthy member\(s\).*restore-multi-master/);
    const r = await cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      join(dir, 'run5'),
    ]);
    expectCode(r, 0);
    expect(stepsRun(join(dir, 'run5'))).toContain('readdress/new-addresses');
    await expectHealthyCluster(lab, { asideOn: ['cp-1', 'cp-2', 'cp-3'] });
    expectSameData(withoutLeases(await clusterValues(lab)), want);
    await expectLeasesClean();
  });

  it('refuses when no member has a previousAddress (exit 2), nothing run', async () => {
    const inv = join(lab.dir, 'no-previous.yaml');
    writeFileSync(inv, readFileSync(lab.inventoryPath, 'utf8').replace(/^\s*previousAddress: .*\n/gm, ''));
    const runDir = join(dir, 'run3');
    const r = await cli(['run', 'readdress', '-i', inv, '--yes', '--run-dir', runDir]);
    expectCode(r, 2);
    expect(r.stderr).toMatch(/no member has a previousAddress/);
    expect(readAuditEvents(runDir).filter((e) => e.type === 'step.start')).toEqual([]);
  });
});
