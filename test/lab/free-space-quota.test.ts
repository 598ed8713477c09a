// free-space when live data alone fills the quota (lab break fill-quota-live), on a static-pod and a systemd lab side
// by side, at the etcd version the lab runs (LAB_ETCD_VERSION, also in the 3.4 pass): NOSPACE -> diagnose exit 1 ->
// free-space --yes raises --quota-backend-bytes member by member (the running etcd reports the new quota), leader
// defragmented and restarted last, alarm disarmed, a put succeeds, every key and value intact. On systemd the run is
// killed right after the first member's raise and resumed: the same result, one config copy per member.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labExec, labUp, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  etcdctl,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  labEtcdVersion,
  readAuditEvents,
} from './runbook-helpers.js';

const QUOTA = 4 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'lb-fsq-'));
const labs: Partial<Record<'static-pod' | 'systemd', Lab>> = {};

const MODES = ['static-pod', 'systemd'] as const;
beforeAll(async () => {
  // One after the other: two seeded labs coming up at once on a loaded machine time out their seeding puts.
  for (const mode of MODES)
    labs[mode] = await labUp({
      dir: join(dir, mode),
      members: 3,
      mode,
      seedData: true,
      quotaBytes: QUOTA,
      etcdVersion: labEtcdVersion(),
    });
}, 400_000);
afterAll(async () => {
  await Promise.allSettled(MODES.map((m) => labDown(join(dir, m))));
  rmSync(dir, { recursive: true, force: true });
});

interface Diag {
  facts: { members: Record<string, { status?: { memberId: string; leader: string; version: string } }> };
  alarms: Array<{ member: string; alarm: string }>;
  storage: Array<{ member: string; dbSize: number; inUse?: number; quota: number; quotaFrom: string }>;
}
const diagnose = async (lab: Lab) => {
  const r = await cli(['diagnose', '-i', lab.inventoryPath, '--output', 'json'], 60_000);
  return { code: r.code, d: JSON.parse(r.stdout) as Diag, out: r.stdout + r.stderr };
};
const leaderOf = (d: Diag) => {
  const byId = new Map(Object.entries(d.facts.members).map(([n, f]) => [f.status?.memberId, n]));
  return byId.get(Object.values(d.facts.members).find((f) => f.status)?.status?.leader);
};
const order = (runDir: string, stateId: string) => [
  ...new Set(
    readAuditEvents(runDir)
      .filter((e) => e.type === 'cmd.start' && e.stateId === stateId)
      .map((e) => e.member),
  ),
];
/** The etcd version the cluster reports (endpoint status), as "major.minor" numbers. */
const reported = (d: Diag) => {
  const v = Object.values(d.facts.members).find((f) => f.status)?.status?.version ?? '';
  const [maj, min] = v.split('.').map(Number);
  return { v, atLeast35: maj! > 3 || (maj === 3 && min! >= 5) };
};
/** Where each platform keeps etcd's flags, and where the adapter keeps the copy from before the run. */
const configOf = (lab: Lab) =>
  lab.mode === 'systemd'
    ? {
        file: '/etc/etcd/etcd.conf',
        kept: '/etc/etcd/lifeboat-backup',
        want: `ETCD_QUOTA_BACKEND_BYTES="${2 * QUOTA}"`,
      }
    : {
        file: '/etc/kubernetes/manifests/etcd.yaml',
        kept: '/etc/kubernetes/lifeboat-backup',
        want: `- --quota-backend-bytes=${2 * QUOTA}`,
      };

async function fullOfLiveData(lab: Lab) {
  const r = await labBreak(lab, 'fill-quota-live');
  expect(r.actions.join('\n')).toMatch(/database space exceeded/);
  const bad = await diagnose(lab);
  expect(bad.code, bad.out).toBe(1);
  expect(bad.d.alarms.map((a) => a.alarm)).toContain('NOSPACE');
  expect(bad.d.storage.map((s) => s.quota)).toEqual(lab.members.map(() => QUOTA));
  return bad.d;
}

async function expectRaised(
  lab: Lab,
  runDir: string,
  bad: Diag,
  want: Map<string, Buffer>,
  killedOn?: string,
) {
  const names = lab.members.map((m) => m.name).sort();
  const leader = leaderOf(bad);
  expect(order(runDir, 'defrag/defrag').sort()).toEqual(names);
  expect(order(runDir, 'defrag/defrag').at(-1)).toBe(leader);
  expect(order(runDir, 'quota/raise-quota').sort()).toEqual(names);
  expect(order(runDir, 'quota/raise-quota').at(-1)).toBe(leader);
  // The step says what it did on each member (its output's tail in the audit log).
  const said = (n: string) =>
    readAuditEvents(runDir)
      .filter((e) => e.type === 'cmd.end' && e.stateId === 'quota/raise-quota' && e.member === n)
      .map((e) => String(e.tail))
      .join('\n');
  for (const n of names.filter((x) => x !== killedOn))
    expect(said(n), n).toContain(`${n}: etcd runs with --quota-backend-bytes=${2 * QUOTA}`);
  // Killed right after its raise, before the end was recorded: on resume its check finds the new quota running.
  if (killedOn)
    expect(
      readAuditEvents(runDir).filter(
        (e) => e.type === 'host.check' && e.stateId === 'quota/raise-quota' && e.member === killedOn,
      ),
    ).toMatchObject([{ alreadyDone: true }]);
  const ok = await diagnose(lab);
  expect(ok.code, ok.out).toBe(0);
  expect(ok.d.alarms).toEqual([]);
  // The running etcd reports its quota on /metrics: every member now runs with the doubled one.
  expect(ok.d.storage.map((s) => [s.member, s.quota, s.quotaFrom])).toEqual(
    lab.members.map((m) => [m.name, 2 * QUOTA, 'metrics']),
  );
  for (const s of ok.d.storage) {
    // Live data fills the old quota (compaction and defragmentation freed next to nothing: the db is not expected to
    // shrink here, test/lab/incidents.test.ts checks that with a hot key's history); under 80 % of the new one.
    expect(s.dbSize, s.member).toBeGreaterThan(QUOTA * 0.8);
    expect(s.dbSize, s.member).toBeLessThan(2 * QUOTA * 0.8);
    // In-use size is reported from etcd 3.5 on (the version the cluster reports decides what to expect).
    if (reported(ok.d).atLeast35)
      expect(s.inUse, `${s.member} ${reported(ok.d).v}`).toBeLessThanOrEqual(s.dbSize);
  }
  const cfg = configOf(lab);
  for (const m of lab.members) {
    expect(await hostText(lab, m.name, `grep -F -- '${cfg.want}' ${cfg.file}`), m.name).toContain(cfg.want);
    const kept = (await hostText(lab, m.name, `ls ${cfg.kept}`))
      .split('\n')
      .filter((f) => /\.before-/.test(f));
    const base = cfg.file.split('/').at(-1)!;
    expect(
      kept.filter((f) => f.startsWith(`${base}.before-`)),
      m.name,
    ).toHaveLength(1);
  }
  await expectHealthyCluster(lab);
  for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
  await etcdctl(lab, 'put /lifeboat-test/after-quota ok');
  expect((await etcdctl(lab, 'get /lifeboat-test/after-quota --print-value-only')).trim()).toBe('ok');
  await etcdctl(lab, 'del /lifeboat-test/after-quota');
}

async function hostText(lab: Lab, member: string, cmd: string): Promise<string> {
  const r = await labExec(lab, member, cmd);
  expect(r.code, `${member}: ${cmd}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe.concurrent('free-space raises the quota when live data alone fills it', () => {
  it('static-pod: the manifest flag changes, the kubelet restarts each etcd, leader last', async () => {
    const lab = labs['static-pod']!;
    const bad = await fullOfLiveData(lab);
    const want = await clusterValues(lab);
    const runDir = join(dir, 'run-sp');
    const r = await cli(
      ['run', 'free-space', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir],
      300_000,
    );
    expectCode(r, 0);
    await expectRaised(lab, runDir, bad, want);
  });

  it('systemd: ETCD_QUOTA_BACKEND_BYTES changes, etcd restarted; killed after the first raise, resumed', async () => {
    const lab = labs.systemd!;
    const bad = await fullOfLiveData(lab);
    const want = await clusterValues(lab);
    const plan = JSON.parse(
      (await cli(['plan', 'free-space', '-i', lab.inventoryPath, '--probe', '--output', 'json'])).stdout,
    ) as { items: Array<{ stateId: string; hosts?: Array<{ member: string }> }> };
    const hosts =
      plan.items.find((i) => i.stateId === 'quota/raise-quota')?.hosts?.map((h) => h.member) ?? [];
    expect(hosts).toHaveLength(lab.members.length);
    const runDir = join(dir, 'run-sd');
    const killed = await cli(
      ['run', 'free-space', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir],
      300_000,
      { LIFEBOAT_FAILPOINT: `after-cmd:quota/raise-quota/${hosts[0]}/0` },
    );
    expect(killed.code).not.toBe(0);
    expect(readAuditEvents(runDir).some((e) => e.type === 'run.end')).toBe(false);
    expectCode(await cli(['resume', runDir, '--yes'], 300_000), 0);
    expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    await expectRaised(lab, runDir, bad, want, hosts[0]);
  });
});
