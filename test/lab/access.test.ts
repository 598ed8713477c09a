// Every runbook through a non-root sudo user and through a jump host (static-pod, 3 members; one lab per access mode,
// shared by the runbooks, each leaving it healthy; data before == after). Direct access is refused where it must be.
// The sudo lab also has no etcdctl on cp-3: that host works through the etcd container, and the plan says so.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../src/errors/error.js';
import { loadInventory } from '../../src/inventory/load.js';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
import { SshExecutor } from '../../src/ssh/executor.js';
import { cli, clusterValues, expectCode, expectHealthyCluster, expectSameData } from './runbook-helpers.js';

function refusedTcp(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** An executor over an inventory file, or over an edited copy of it. */
function executorFor(path: string, edit?: (doc: Record<string, unknown>) => void): SshExecutor {
  let file = path;
  if (edit) {
    const inv = loadInventory(path);
    const doc: Record<string, unknown> = {
      apiVersion: 'lifeboat/v1',
      cluster: inv.cluster,
      topology: inv.topology,
      ssh: {
        user: inv.members[0]!.ssh.user,
        sudo: inv.members[0]!.ssh.sudo,
        identityFile: inv.members[0]!.ssh.identityFile,
        knownHosts: inv.members[0]!.ssh.knownHosts,
        ...(inv.members[0]!.ssh.jump ? { jump: inv.members[0]!.ssh.jump } : {}),
      },
      members: inv.members.map((m) => ({ name: m.name, address: m.address })),
    };
    edit(doc);
    file = `${path}.edited.yaml`;
    writeFileSync(file, stringify(doc));
  }
  return new SshExecutor(loadInventory(file), {
    sshConfigFile: false,
    agentSocket: false,
    connectTimeoutMs: 5000,
  });
}

async function execError(x: SshExecutor, member: string, cmd: string): Promise<LifeboatError> {
  try {
    await x.exec(member, cmd);
  } catch (e) {
    return e as LifeboatError;
  } finally {
    await x.close();
  }
  throw new Error(`${cmd} on ${member} did not fail`);
}

/** backup, restore-multi-master, recover-quorum and replace-member on one lab; each leaves it healthy with the same data. */
async function everyRunbook(lab: Lab, dir: string): Promise<void> {
  const want = await clusterValues(lab);
  expect(want.size).toBeGreaterThan(1000);
  const run = async (name: string, ...set: string[]) => {
    const r = await cli([
      'run',
      name,
      '-i',
      lab.inventoryPath,
      ...set.flatMap((s) => ['--set', s]),
      '--yes',
      '--run-dir',
      join(dir, `run-${name}`),
    ]);
    expectCode(r, 0);
    process.stderr.write(`access ${lab.dir}: ${name} ${r.ms} ms\n`);
    return r;
  };

  await run('backup', `to=${join(dir, 'backups')}`);
  const snap = join(dir, 'backups', readdirSync(join(dir, 'backups'))[0]!, 'etcd-cp-1.db');
  expectSameData(await clusterValues(lab), want);

  await run('restore-multi-master', `snapshot=${snap}`);
  await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name) });
  expectSameData(await clusterValues(lab), want);

  await labBreak(lab, 'lose-quorum');
  await run('recover-quorum', 'strategy=snapshot');
  await expectHealthyCluster(lab, { etcdServers: 'all' });
  expectSameData(await clusterValues(lab), want);

  await labBreak(lab, 'wipe-member', 'cp-3');
  await run('replace-member', 'failed=cp-3');
  await expectHealthyCluster(lab, { etcdServers: 'all' });
  for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
}

/** restore-single-master on a one-member lab with the same access. */
async function singleMaster(access: { sudo: boolean; jump: boolean }, dir: string): Promise<void> {
  const lab = await labUp({ dir: join(dir, 'lab1'), members: 1, mode: 'static-pod', seedData: true, access });
  try {
    const want = await clusterValues(lab);
    let r = await cli([
      'run',
      'backup',
      '-i',
      lab.inventoryPath,
      '--set',
      `to=${join(dir, 'backups1')}`,
      '--yes',
      '--run-dir',
      join(dir, 'run1-backup'),
    ]);
    expectCode(r, 0);
    const snap = join(dir, 'backups1', readdirSync(join(dir, 'backups1'))[0]!, 'etcd-cp-1.db');
    r = await cli([
      'run',
      'restore-single-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      join(dir, 'run1-restore'),
    ]);
    expectCode(r, 0);
    await expectHealthyCluster(lab, { asideOn: ['cp-1'] });
    expectSameData(await clusterValues(lab), want);
  } finally {
    await labDown(join(dir, 'lab1'));
  }
}

describe('access: non-root user with sudo -n (cp-3 without etcdctl)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-access-sudo-'));
  let lab: Lab;
  beforeAll(async () => {
    lab = await labUp({
      dir: join(dir, 'lab'),
      members: 3,
      mode: 'static-pod',
      seedData: true,
      access: { sudo: true, jump: false },
      noEtcdctl: ['cp-3'],
    });
  });
  afterAll(async () => {
    await labDown(join(dir, 'lab'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the inventory names the non-root user with sudo; root is refused; commands run as root through sudo -n', async () => {
    const inv = loadInventory(lab.inventoryPath);
    expect(inv.members.map((m) => [m.ssh.user, m.ssh.sudo])).toEqual([
      ['lbops', true],
      ['lbops', true],
      ['lbops', true],
    ]);
    const x = executorFor(lab.inventoryPath);
    try {
      expect(
        (await x.exec('cp-2', 'id -un; echo "$SUDO_USER"; hostname')).stdout.split('\n').slice(0, 3),
      ).toEqual(['root', 'lbops', 'cp-2']);
    } finally {
      await x.close();
    }
    const noSudo = executorFor(lab.inventoryPath, (d) => ((d.ssh as Record<string, unknown>).sudo = false));
    try {
      expect((await noSudo.exec('cp-1', 'id -u')).stdout.trim()).not.toBe('0');
    } finally {
      await noSudo.close();
    }
    const asRoot = await execError(
      executorFor(lab.inventoryPath, (d) => Object.assign(d.ssh as object, { user: 'root', sudo: false })),
      'cp-1',
      'true',
    );
    expect(asRoot.oneLine()).toMatch(/SSH authentication failed for root@127\.0\.\d+\.11 /);
  });

  it('a host without etcdctl: plan --probe shows the etcd container is used', async () => {
    const r = await cli(['plan', 'backup', '-i', lab.inventoryPath, '--probe']);
    expectCode(r, 0);
    // The release and image tag the lab reports; offline work uses the host's etcdutl.
    const { release, image } = lab.etcd!;
    const offline = 'etcdutl /usr/bin/etcdutl';
    const line = r.stdout.split('\n').find((l) => l.includes('cp-3: etcdctl:')) ?? '';
    expect(line).toContain('cp-3: etcdctl: not on the host: crictl exec into the etcd container');
    expect(line).toContain(`(${release}); offline restore/status: ${offline}`);
    expect(line).toContain(`docker run --rm ${image}`);
    expect(r.stdout).toContain(`cp-1: etcdctl: /usr/bin/etcdctl (${release})`);
    expect(r.stdout).toMatch(/\[cp-3\]\n\s+\$ .*crictl exec "\$lb_ctr" etcdctl /);
  });

  // Four runbooks in a row: under a full machine this exceeds the lab's 180 s default, so it has its own deadline.
  it('every runbook passes; data before == after', async () => {
    await everyRunbook(lab, dir);
  }, 420_000);
});

describe('access: jump host (bastion in front of a private network)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-access-jump-'));
  let lab: Lab;
  beforeAll(async () => {
    lab = await labUp({
      dir: join(dir, 'lab'),
      members: 3,
      mode: 'static-pod',
      seedData: true,
      access: { sudo: false, jump: true },
    });
  });
  afterAll(async () => {
    await labDown(join(dir, 'lab'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('members refuse direct connections; only the bastion answers; through it every member is reached', async () => {
    const inv = loadInventory(lab.inventoryPath);
    const bastion = lab.bastion!;
    expect(inv.members.map((m) => m.ssh.jump)).toEqual(lab.members.map(() => `lbops@${bastion.address}`));
    for (const m of lab.members) expect(await refusedTcp(m.address, 22), m.name).toBe('ECONNREFUSED');
    expect(await refusedTcp(bastion.address, 22)).toBe('connected');
    // Without the jump, the inventory's members cannot be reached at all.
    const direct = await execError(
      executorFor(lab.inventoryPath, (d) => delete (d.ssh as Record<string, unknown>).jump),
      'cp-2',
      'true',
    );
    expect(direct.code).toBe('unreachable');
    expect(direct.oneLine()).toMatch(/cannot connect to root@127\.0\.\d+\.12: connect ECONNREFUSED/);
    // The bastion takes its own user only (root is refused there).
    const rootJump = await execError(
      executorFor(
        lab.inventoryPath,
        (d) => ((d.ssh as Record<string, unknown>).jump = `root@${bastion.address}`),
      ),
      'cp-2',
      'true',
    );
    expect(rootJump.oneLine()).toMatch(/SSH authentication failed for root@127\.0\.\d+\.10 /);
    const x = executorFor(lab.inventoryPath);
    try {
      for (const m of lab.members) expect((await x.exec(m.name, 'hostname')).stdout.trim()).toBe(m.name);
    } finally {
      await x.close();
    }
  });

  // Four runbooks in a row: under a full machine this exceeds the lab's 180 s default, so it has its own deadline.
  it('every runbook passes; data before == after', async () => {
    await everyRunbook(lab, dir);
  }, 420_000);

  it('restore-single-master passes on a one-member lab reached through the jump host as the sudo user (both at once)', async () => {
    await singleMaster({ sudo: true, jump: true }, dir);
  });
});
