// Faults during a recovery, on a real lab: the survivor's etcd dies while a member is re-added, a host's sshd goes away
// for 20 s mid-step, a host reboots mid-step, every host is unreachable for a while, the backup folder's filesystem fills. Each run must stop
// (or go on) safely and resume to a healthy cluster with every key and value; nothing is applied twice.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labBreak, labExec, labReboot, sshBanner, waitFor, type Lab } from '../../src/lab/index.js';
import { hostDir, stateDir } from '../../src/lab/paths.js';
import {
  ROOT,
  cli,
  clusterValues,
  damage,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  readAuditEvents,
  snapshotValues,
  takeSnapshot,
  oneLab,
  type AuditEvent,
} from './runbook-helpers.js';

// The outage issue 17 names (a minute); the hosts stay down at least this long and until the run has stopped.
const OUTAGE_MS = Number(process.env.LIFEBOAT_FAULT_OUTAGE_MS ?? 60_000);

/** Starts `lifeboat ARGS`, does `act` once the audit log shows the event, and waits for the CLI to end by itself. */
async function runAndAct(
  args: string[],
  runDir: string,
  at: (e: AuditEvent) => boolean,
  act: () => Promise<void>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('node', [join(ROOT, 'bin/lifeboat'), ...args, '--run-dir', runDir], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let ended = false;
  const exited = new Promise<number | null>((res) =>
    child.on('exit', (code) => {
      ended = true;
      res(code);
    }),
  );
  await waitFor(() => ended || readAuditEvents(runDir).some(at), {
    timeoutMs: 120_000,
    intervalMs: 20,
    what: 'the fault point in the audit log',
  });
  expect(ended, `the run ended before the fault point:\n${stderr}`).toBe(false);
  await act();
  const code = await exited;
  return { code, stderr };
}

/** The host's network goes away for SSH: its sshd and every session it serves end (a plain sshd stop keeps sessions). */
async function cutSsh(lab: Lab, name: string): Promise<void> {
  const pid = readFileSync(join(stateDir(lab.dir, name), 'sshd.pid'), 'utf8').trim();
  expect(pid).toMatch(/^\d+$/);
  const r = await labExec(lab, name, `kill -s KILL ${pid} $(ps -o pid= --ppid ${pid}) 2>/dev/null; echo cut`);
  expect(r.stdout).toMatch(/cut/);
  const m = lab.members.find((x) => x.name === name)!;
  await waitFor(async () => !(await sshBanner(m.address, 500)), {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: `sshd on ${name} to be gone`,
  });
}

/** Starts a host's sshd again, as its init does (the host's own config and log), and waits for its banner. */
async function sshdUp(lab: Lab, name: string): Promise<void> {
  const H = hostDir(lab.dir, name);
  const r = await labExec(
    lab,
    name,
    `setsid /usr/sbin/sshd -D -f ${H}/sshd_config -E ${H}/log/sshd.log </dev/null >/dev/null 2>&1 & echo $! >${H}/state/sshd.pid`,
  );
  expect(r.code, r.stderr).toBe(0);
  const m = lab.members.find((x) => x.name === name)!;
  await waitFor(() => sshBanner(m.address, 500), {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: `sshd on ${name} to answer again`,
  });
}

/** The etcd static pod started again by its kubelet (a real kubelet restarts a crashed static pod by itself). */
async function kubeletRestartsEtcd(lab: Lab, name: string): Promise<void> {
  const r = await labExec(
    lab,
    name,
    `echo '# restarted by the kubelet (lab fault test)' >>/etc/kubernetes/manifests/etcd.yaml`,
  );
  expect(r.code, r.stderr).toBe(0);
  const m = lab.members.find((x) => x.name === name)!;
  await waitFor(
    async () =>
      (await labExec(lab, name, `ss -Hltn | grep -qF '${m.address}:2379 ' && echo up`)).stdout.includes('up'),
    { timeoutMs: 20_000, intervalMs: 100, what: `etcd on ${name} listening again` },
  );
}

/** Destructive commands that succeeded more than once at the same place: what "applied twice" means here. */
function appliedTwice(runDir: string, destructive: Set<string>): string[] {
  const seen = new Map<string, number>();
  for (const e of readAuditEvents(runDir))
    if (e.type === 'cmd.end' && e.exitCode === 0 && destructive.has(String(e.stateId))) {
      const k = `${e.stateId}/${e.member}/${e.index}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

async function destructiveSteps(args: string[]): Promise<Set<string>> {
  const r = await cli(['plan', ...args, '-o', 'json']);
  expectCode(r, 0);
  const p = JSON.parse(r.stdout) as {
    items: Array<{ kind: string; stateId: string; destructive?: boolean }>;
  };
  return new Set(p.items.filter((i) => i.kind === 'step' && i.destructive).map((i) => i.stateId));
}

let sp: Lab;
const dir = oneLab('faults', { members: 3, mode: 'static-pod' }, (a) => {
  sp = a;
});

describe('faults during a run (static-pod, 3 members)', () => {
  it('the survivor etcd dies while a member is re-added: the run stops; kubelet restarts it; resume heals', async () => {
    const want = await clusterValues(sp);
    await labBreak(sp, 'lose-quorum');
    const runDir = join(dir, 'survivor-dies');
    const survivor = sp.members[0]!.name;
    const r = await runAndAct(
      ['run', 'recover-quorum', '-i', sp.inventoryPath, '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && e.stateId === 'rejoin/rejoin',
      async () => void (await labBreak(sp, 'kill-member', survivor)),
    );
    const end = readAuditEvents(runDir).at(-1);
    if (r.code !== 0) {
      expect(end?.type, r.stderr).toBe('run.end');
      expect(r.stderr.trim().split('\n').at(-1), 'one line saying what to do').toMatch(/resume/);
    }
    await kubeletRestartsEtcd(sp, survivor);
    if (r.code !== 0) {
      let res = await cli(['resume', runDir, '--yes', '--retry']);
      if (res.code === 1) res = await cli(['resume', runDir, '--yes', '--retry']);
      expectCode(res, 0);
    }
    await expectHealthyCluster(sp, { etcdServers: 'all' });
    expectSameData(await clusterValues(sp), want);
    expect(appliedTwice(runDir, new Set(['strategy/copy-aside', 'strategy/add-flag']))).toEqual([]);
  });

  it("a target host's sshd is gone for 20 s mid-step: the run stops for resume, and resume never applies twice", async () => {
    const snap = await takeSnapshot(sp, join(dir, 'before-sshd.db'));
    await damage(sp, 'sshd');
    const victim = sp.members[1]!.name;
    const args = ['restore-multi-master', '-i', sp.inventoryPath, '--set', `snapshot=${snap}`];
    const destructive = await destructiveSteps(args);
    const runDir = join(dir, 'sshd-gone');
    const r = await runAndAct(
      ['run', ...args, '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && destructive.has(String(e.stateId)) && e.member === victim,
      async () => {
        await cutSsh(sp, victim);
        await new Promise((res) => setTimeout(res, 20_000)); // the fault's length, not a synchronisation
        await sshdUp(sp, victim);
      },
    );
    if (r.code !== 0) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1), 'one line saying how to go on').toMatch(/lifeboat resume /);
      expectCode(await cli(['resume', runDir, '--yes']), 0);
    }
    await expectHealthyCluster(sp);
    expectSameData(await clusterValues(sp), snapshotValues(snap));
    expect(appliedTwice(runDir, destructive)).toEqual([]);
  });

  it('a host reboots mid-step: its static pods come back from their manifests; the run resumes to the snapshot', async () => {
    const snap = await takeSnapshot(sp, join(dir, 'before-reboot.db'));
    await damage(sp, 'reboot');
    const victim = sp.members[2]!.name;
    const args = ['restore-multi-master', '-i', sp.inventoryPath, '--set', `snapshot=${snap}`];
    const destructive = await destructiveSteps(args);
    const runDir = join(dir, 'reboot');
    const r = await runAndAct(
      ['run', ...args, '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && e.stateId === 'restore/restore' && e.member === victim,
      async () => void (await labReboot(sp, victim)),
    );
    if (r.code !== 0) {
      expect(r.stderr.trim().split('\n').at(-1), 'one line saying how to go on').toMatch(/lifeboat resume /);
      expectCode(await cli(['resume', runDir, '--yes']), 0);
    }
    await expectHealthyCluster(sp);
    expectSameData(await clusterValues(sp), snapshotValues(snap));
    expect(appliedTwice(runDir, destructive)).toEqual([]);
  });

  it('every host unreachable for a while: the run stops with a clear line, then resumes to the end', async () => {
    const want = await clusterValues(sp);
    const to = join(dir, 'unreachable-backups');
    const runDir = join(dir, 'all-unreachable');
    const r = await runAndAct(
      ['run', 'backup', '-i', sp.inventoryPath, '--set', `to=${to}`, '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && e.stateId === 'snapshot/save',
      async () => {
        for (const m of sp.members) await cutSsh(sp, m.name);
        const t0 = Date.now();
        await waitFor(
          () => Date.now() - t0 >= OUTAGE_MS && readAuditEvents(runDir).at(-1)?.type === 'run.end',
          {
            timeoutMs: OUTAGE_MS + 60_000,
            intervalMs: 200,
            what: 'the outage',
          },
        );
      },
    );
    expect(r.code, r.stderr).toBe(2);
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    expect(last).toMatch(/unreachable|connect|ssh/i);
    expect(last).toMatch(/resume/);
    for (const m of sp.members) await sshdUp(sp, m.name);
    expectCode(await cli(['resume', runDir, '--yes']), 0);
    const [sub] = readdirSync(to);
    expect(existsSync(join(to, sub!, 'backup-manifest.json'))).toBe(true);
    expectSameData(await clusterValues(sp), want);
  });

  it("the backup folder's filesystem is full: backup fails with one clear line, nothing half-written looks complete", async () => {
    const first = sp.members[0]!.name;
    const mount = await labExec(sp, first, 'mount -t tmpfs -o size=256k lifeboat-full /backup && echo ok');
    expect(mount.stdout, mount.stderr).toMatch(/ok/);
    try {
      const to = join(dir, 'full-backups');
      const r = await cli([
        'run',
        'backup',
        '-i',
        sp.inventoryPath,
        '--set',
        `to=${to}`,
        '--yes',
        '--run-dir',
        join(dir, 'disk-full'),
      ]);
      expect(r.code, r.stderr).toBe(1);
      const last = r.stderr.trim().split('\n').at(-1) ?? '';
      expect(last).toMatch(/no space|space left|ENOSPC|quota/i);
      const inHost = await labExec(sp, first, 'ls -A /backup');
      expect(inHost.stdout.split('\n').filter((f) => /\.db$/.test(f))).toEqual([]);
      const local = existsSync(to) ? readdirSync(to, { recursive: true }).map(String) : [];
      expect(local.filter((f) => f.endsWith('backup-manifest.json'))).toEqual([]);
      expect(local.filter((f) => f.endsWith('.db'))).toEqual([]);
      expectCode(await cli(['resume', join(dir, 'disk-full'), '--abort']), 5);
    } finally {
      await labExec(sp, first, 'umount /backup');
    }
  });
});
