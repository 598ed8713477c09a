// lab break: puts the lab into a named failure state, each done inside the host as an operator or a
// fault would (kill, rm, dd).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { refused, usage } from '../errors/error.js';
import { EtcdClient, prefixEnd } from './grpc.js';
import { execInHost, pidsOfHost } from './hosts.js';
import { alive } from './proc.js';
import { DOCKER_DATA } from './modes.js';
import { imagesDir, stateDir } from './paths.js';
import { asLab, member } from './state.js';
import { sshBannerInLab } from './status.js';
import { waitFor } from './wait.js';
import { corruptAlarm, fillQuota, fillQuotaLive } from './incidents.js';
import { expireCerts } from './expire.js';
import { divergeMember } from './diverge.js';
import { readPods } from './standins/podstate.js';
import { SCENARIOS, type BreakResult, type Lab, type Scenario } from './types.js';

/** Pid (inside the host's pid namespace) of the running etcd, from the kubelet or systemd stand-in's records. */
export function etcdPid(lab: Lab, name: string): number | null {
  if (lab.mode === 'docker') return containerEtcdPid(lab, name);
  if (lab.mode === 'static-pod') {
    for (const p of readPods(stateDir(lab.dir, name))) {
      const c = p.containers.find((x) => x.name === 'etcd' && x.state === 'running');
      if (c?.pid) return c.pid;
    }
    return null;
  }
  try {
    const u = JSON.parse(
      readFileSync(join(stateDir(lab.dir, name), 'units', 'etcd.service.json'), 'utf8'),
    ) as { activeState: string; mainPid: number | null };
    return u.activeState === 'active' || u.activeState === 'activating' ? u.mainPid : null;
  } catch {
    return null;
  }
}

/**
 * docker mode: the host's process running the etcd image's binary (its pid inside the host), found by
 * pid, not name.
 */
function containerEtcdPid(lab: Lab, name: string): number | null {
  const bin = join(imagesDir(lab.dir), 'etcd', 'usr', 'local', 'bin', 'etcd');
  for (const pid of pidsOfHost(lab, name)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0] !== bin) continue;
      const ns = /^NSpid:\s+(.*)$/m
        .exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
        ?.trim()
        .split(/\s+/);
      const inHost = ns?.[ns.length - 1];
      if (inHost && alive(pid)) return Number(inHost);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** The data dir inside a host: docker keeps it in the etcd-data volume. */
export const labDataDir = (lab: Lab) => (lab.mode === 'docker' ? DOCKER_DATA : '/var/lib/etcd');

async function etcdAnswers(lab: Lab, name: string): Promise<boolean> {
  const c = new EtcdClient(member(lab, name).clientURL, lab.client);
  try {
    await c.status(700);
    return true;
  } catch {
    return false;
  } finally {
    c.close();
  }
}

async function sh(lab: Lab, name: string, cmd: string): Promise<void> {
  const r = await execInHost(lab, name, cmd, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`lab break: on ${name}: '${cmd}' failed: ${r.stderr.trim()}`);
}

/**
 * Kills etcd on a member (the process only: the kubelet/systemd stand-ins do not restart it) and waits
 * until it no longer answers.
 */
async function killEtcd(lab: Lab, name: string, sig: 'KILL' | 'TERM', actions: string[]): Promise<void> {
  const pid = etcdPid(lab, name);
  if (pid !== null) {
    await sh(lab, name, `kill -s ${sig} ${pid} 2>/dev/null || true`);
    actions.push(`${name}: kill -s ${sig} ${pid} (etcd)`);
  } else actions.push(`${name}: etcd was not running`);
  await waitFor(async () => etcdPid(lab, name) === null && !(await etcdAnswers(lab, name)), {
    timeoutMs: 15_000,
    intervalMs: 50,
    what: `etcd on ${name} to stop`,
  });
}

const lastMember = (lab: Lab) => lab.members[lab.members.length - 1]!.name;

export async function labBreak(
  labOrDir: Lab | string,
  scenario: Scenario | string,
  memberName?: string,
): Promise<BreakResult> {
  const lab = asLab(labOrDir);
  if (!(SCENARIOS as readonly string[]).includes(scenario))
    throw usage(`lab break: unknown scenario '${scenario}'`, `one of ${SCENARIOS.join(', ')}`);
  if (memberName !== undefined) member(lab, memberName);
  const actions: string[] = [];
  const one = memberName ?? lastMember(lab);
  const result = (members: string[], extra: Partial<BreakResult> = {}): BreakResult => ({
    scenario: scenario as Scenario,
    members,
    actions,
    ...extra,
  });

  switch (scenario as Scenario) {
    case 'kill-member':
      await killEtcd(lab, one, 'KILL', actions);
      return result([one]);

    case 'wipe-member':
      await killEtcd(lab, one, 'KILL', actions);
      await sh(lab, one, `rm -rf ${labDataDir(lab)}/member`);
      actions.push(`${one}: rm -rf ${labDataDir(lab)}/member`);
      return result([one]);

    case 'lose-quorum': {
      // A majority loses etcd and its data; --member names a member to keep (default: the first ones survive).
      const need = Math.floor(lab.members.length / 2) + 1;
      const victims = lab.members
        .map((m) => m.name)
        .filter((n) => n !== memberName)
        .reverse()
        .slice(0, need);
      for (const n of victims) {
        await killEtcd(lab, n, 'KILL', actions);
        await sh(lab, n, `rm -rf ${labDataDir(lab)}/member`);
        actions.push(`${n}: rm -rf ${labDataDir(lab)}/member`);
      }
      return result(victims);
    }

    case 'corrupt-member': {
      // Both bbolt meta pages overwritten: etcd refuses to open the db on its next start.
      await killEtcd(lab, one, 'KILL', actions);
      await sh(
        lab,
        one,
        `test -s ${labDataDir(lab)}/member/snap/db && dd if=/dev/urandom of=${labDataDir(lab)}` +
          `/member/snap/db bs=4096 count=2 conv=notrunc status=none`,
      );
      actions.push(
        `${one}: dd if=/dev/urandom of=${labDataDir(lab)}/member/snap/db bs=4096 count=2 conv=notrunc`,
      );
      return result([one]);
    }

    case 'stop-all':
      for (const m of lab.members) await killEtcd(lab, m.name, 'TERM', actions);
      return result(lab.members.map((m) => m.name));

    case 'ssh-down': {
      const pid = readFileSync(join(stateDir(lab.dir, one), 'sshd.pid'), 'utf8').trim();
      await sh(lab, one, `kill -s TERM ${pid} 2>/dev/null || true`);
      actions.push(`${one}: kill -s TERM ${pid} (sshd)`);
      await waitFor(async () => !(await sshBannerInLab(lab, member(lab, one).address, 500)), {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: `sshd on ${one} to stop`,
      });
      return result([one]);
    }
    case 'delete-objects':
      return deleteObjects(lab, actions);
    case 'fill-quota':
      return fillQuota(lab, actions);
    case 'fill-quota-live':
      return fillQuotaLive(lab, actions);

    case 'corrupt-alarm':
      return corruptAlarm(lab, one, actions);

    case 'expire-certs':
      return expireCerts(lab, actions);

    case 'diverge-member':
      return divergeMember(
        lab,
        one,
        actions,
        () => killEtcd(lab, one, 'KILL', actions),
        () => etcdAnswers(lab, one),
      );
  }
}

/** Deletes a handful of seeded objects (configmaps, secrets, a deployment, a custom object) and records which. */
async function deleteObjects(lab: Lab, actions: string[]): Promise<BreakResult> {
  let lastErr: Error | null = null;
  for (const m of lab.members) {
    const c = new EtcdClient(m.clientURL, lab.client);
    try {
      const pick = async (prefix: string, n: number) =>
        (await c.range(prefix, prefixEnd(prefix), { keysOnly: true, limit: n, timeoutMs: 3000 })).kvs.map(
          (kv) => kv.key.toString(),
        );
      const keys = [
        ...(await pick('/registry/configmaps/team-a/', 5)),
        ...(await pick('/registry/secrets/team-a/', 2)),
        ...(await pick('/registry/deployments/team-a/', 1)),
        ...(await pick('/registry/lifeboat.example.com/backupschedules/', 1)),
      ];
      if (!keys.length)
        throw refused(
          'lab break delete-objects: no seeded objects to delete',
          'bring the lab up with --seed-data',
        );
      for (const k of keys) {
        await c.deleteRange(k);
        actions.push(`deleted ${k}`);
      }
      mkdirSync(join(lab.dir, 'breaks'), { recursive: true });
      writeFileSync(
        join(lab.dir, 'breaks', 'delete-objects.json'),
        JSON.stringify({ at: new Date().toISOString(), keys }, null, 2) + '\n',
      );
      return { scenario: 'delete-objects', members: [], actions, deletedKeys: keys };
    } catch (err) {
      if ((err as { code?: string }).code === 'refused') throw err;
      lastErr = err as Error;
    } finally {
      c.close();
    }
  }
  throw new Error(`lab break delete-objects: no member accepted the deletes: ${lastErr?.message ?? ''}`);
}
