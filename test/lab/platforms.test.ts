// Platforms on the lab: `discover` in every lab mode writes an inventory equal to the lab's (loaded and resolved);
// the docker and k3s-external adapters run restore-multi-master and recover-quorum (data before == after);
// disagreements between hosts are findings; bad input is one line, exit 2.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/resolve.js';
import {
  labBreak,
  labDown,
  labExec,
  labStatus,
  labUp,
  waitFor,
  type Lab,
  type LabMode,
} from '../../src/lab/index.js';
import { cli, clusterValues, expectCode, expectSameData } from './runbook-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lifeboat-platforms-'));
const labs: string[] = [];
afterAll(async () => {
  for (const d of labs) await labDown(d);
  rmSync(root, { recursive: true, force: true });
});

async function up(mode: LabMode, extra: Parameters<typeof labUp>[0] = {}): Promise<Lab> {
  const dir = join(root, mode);
  labs.push(join(dir, 'lab'));
  return labUp({ dir: join(dir, 'lab'), members: 3, mode, ...extra });
}

/** What a runbook uses of an inventory: topology, and per member its addresses, SSH, paths and TLS. */
function shape(inv: Inventory) {
  return {
    topology: inv.topology,
    members: inv.members.map((m) => ({
      name: m.name,
      address: m.address,
      peerURL: m.peerURL,
      clientURL: m.clientURL,
      ssh: m.ssh,
      dataDir: m.dataDir,
      manifest: m.manifest,
      apiserverManifest: m.apiserverManifest,
      config: m.config,
      backupDir: m.backupDir,
      tls: m.tls,
      tools: m.tools,
    })),
  };
}

async function discoverLab(lab: Lab, extra: string[] = []): Promise<{ file: string; stderr: string }> {
  const file = join(lab.dir, 'discovered.yaml');
  const targets = lab.members.map((m) => `${lab.ssh.user}@${m.address}`).join(',');
  const r = await cli([
    'discover',
    '--ssh',
    targets,
    '--identity',
    lab.ssh.identityFile,
    '--known-hosts',
    lab.ssh.knownHosts,
    '--cluster',
    lab.cluster,
    '-o',
    file,
    ...extra,
  ]);
  expectCode(r, 0);
  return { file, stderr: r.stderr };
}

async function discoverEqualsLab(lab: Lab, extra: string[] = []): Promise<string> {
  const { file } = await discoverLab(lab, extra);
  const got = loadInventory(file);
  const want = loadInventory(lab.inventoryPath);
  expect(got.cluster).toBe(want.cluster);
  expect(shape(got)).toEqual(shape(want));
  const text = readFileSync(file, 'utf8');
  expect(text).toMatch(/member list \(3 members\) agrees with the configuration/);
  return text;
}

/** restore-multi-master from a fresh backup (unless only the recovery is asked), then lose quorum and recover it: every key and value as before. */
async function adapterRunbooks(lab: Lab, withRestore = true): Promise<void> {
  const dir = join(lab.dir, '..');
  const want = await clusterValues(lab);
  expect(want.size).toBeGreaterThan(1000);
  let r: Awaited<ReturnType<typeof cli>>;
  if (withRestore) {
    r = await cli([
      'run',
      'backup',
      '-i',
      lab.inventoryPath,
      '--set',
      `to=${join(dir, 'backups')}`,
      '--yes',
      '--run-dir',
      join(dir, 'run-backup'),
    ]);
    expectCode(r, 0);
    const snap = join(dir, 'backups', readdirSync(join(dir, 'backups'))[0]!, 'etcd-cp-1.db');
    r = await cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      join(dir, 'run-restore'),
    ]);
    expectCode(r, 0);
    expectSameData(await clusterValues(lab), want);
  }
  await labBreak(lab, 'lose-quorum');
  r = await cli([
    'run',
    'recover-quorum',
    '-i',
    lab.inventoryPath,
    '--set',
    'strategy=force-new-cluster',
    '--yes',
    '--run-dir',
    join(dir, 'run-recover'),
  ]);
  expectCode(r, 0);
  // The API servers (containers or k3s) report etcd reachable again; they poll every second.
  await waitFor(async () => (await labStatus(lab)).members.every((m) => m.healthy && m.apiserver?.ok), {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: 'every member healthy and its API server reaching etcd',
  });
  for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
}

describe('static-pod (through sudo and a jump host)', () => {
  it('discover --sudo --jump equals the lab inventory; kubeadm paths and the healthcheck-client cert are named as sources', async () => {
    const lab = await up('static-pod', { access: { sudo: true, jump: true } });
    const text = await discoverEqualsLab(lab, [
      '--sudo',
      '--jump',
      `${lab.bastion!.user}@${lab.bastion!.address}`,
    ]);
    expect(text).toMatch(
      /dataDir: \/var\/lib\/etcd {2}# --data-dir from \/etc\/kubernetes\/manifests\/etcd\.yaml \(hostPath volume etcd-data at \/var\/lib\/etcd\)/,
    );
    expect(text).toMatch(
      /cert: \/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.crt {2}# kubeadm's healthcheck-client certificate/,
    );
  });
});

describe('systemd', () => {
  it('discover equals the lab inventory; a host whose token and initial cluster differ is a finding', async () => {
    const lab = await up('systemd');
    await discoverEqualsLab(lab);
    const r = await labExec(
      lab,
      'cp-2',
      `sed -i 's/^ETCD_INITIAL_CLUSTER_TOKEN=.*/ETCD_INITIAL_CLUSTER_TOKEN=other-token/; s#^ETCD_INITIAL_CLUSTER=.*#ETCD_INITIAL_CLUSTER=cp-2=${lab.members[1]!.peerURL}#' /etc/etcd/etcd.conf`,
    );
    expect(r.code).toBe(0);
    const { file, stderr } = await discoverLab(lab);
    expect(stderr).toMatch(
      /finding: hosts disagree on --initial-cluster-token: cp-1, cp-3: etcd-cluster-1 \| cp-2: other-token/,
    );
    expect(stderr).toMatch(/finding: hosts disagree on --initial-cluster: /);
    expect(readFileSync(file, 'utf8')).toMatch(/# Findings \(2\):/);
  });
});

describe('docker (sources 001, 003)', () => {
  let lab: Lab;
  it('discover equals the lab inventory: data dir is the etcd-data volume on the host', async () => {
    lab = await up('docker', { seedData: true });
    const text = await discoverEqualsLab(lab);
    expect(text).toMatch(
      /dataDir: \/var\/lib\/docker\/volumes\/etcd-data\/_data {2}# --data-dir from docker inspect etcd \(\.Args\), volume etcd-data/,
    );
  });
  it('the docker adapter: restore-multi-master and recover-quorum; old containers kept under new names', async () => {
    await adapterRunbooks(lab);
    const ps = await labExec(lab, 'cp-2', 'docker ps -a');
    expect(ps.stdout).toMatch(/Up\s+etcd\n/);
    expect(ps.stdout).toMatch(/etcd-before-lifeboat-/);
    const args = await labExec(lab, 'cp-2', "docker inspect -f '{{json .Args}}' etcd");
    expect(args.stdout).not.toMatch(/force-new-cluster/);
    expect(args.stdout).toContain(
      `--initial-cluster=${lab.members.map((m) => `${m.name}=${m.peerURL}`).join(',')}`,
    );
  });
});

describe('k3s-external', () => {
  let lab: Lab;
  it('discover equals the lab inventory and reads the k3s datastore endpoint', async () => {
    lab = await up('k3s-external', { seedData: true });
    const text = await discoverEqualsLab(lab);
    expect(text).toMatch(
      /# k3s --datastore-endpoint=https:.* \(--datastore-endpoint in \/etc\/systemd\/system\/k3s\.service\)/,
    );
  });
  // etcd here is the systemd adapter's (tested with every runbook in the systemd runbook tests); what is k3s's own is
  // the repointing of --datastore-endpoint, which recover-quorum does twice (to the survivor, then to all).
  it('the k3s adapter: recover-quorum; k3s repointed through its unit (original kept), daemon-reload, restart', async () => {
    await adapterRunbooks(lab, false);
    const unit = await labExec(
      lab,
      'cp-2',
      'cat /etc/systemd/system/k3s.service; ls /etc/etcd/lifeboat-backup/',
    );
    expect(unit.stdout).toContain(`'${lab.members.map((m) => m.clientURL).join(',')}'`);
    expect(unit.stdout).toMatch(/k3s\.service\.before-/);
    const log = readFileSync(join(lab.members[1]!.hostDir, 'log', 'systemd.log'), 'utf8');
    expect(log).toMatch(/daemon-reload/);
  });
});

describe('discover: bad input', () => {
  it('one line, exit 2', async () => {
    let r = await cli(['discover', '--ssh', 'not a target']);
    expectCode(r, 2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--ssh 'not a target' is not USER@HOST/);
    r = await cli(['discover']);
    expectCode(r, 2);
    const key = join(root, 'id_test');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    r = await cli(['discover', '--ssh', 'root@127.0.0.9:1', '--identity', key, '--known-hosts', '/dev/null']);
    expectCode(r, 2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot connect to root@\[127\.0\.0\.9\]:1: connect ECONNREFUSED/);
  });
});
