// Incidents on the lab with real etcd: a small quota filled until NOSPACE; diagnose reports it per member (exit 1);
// free-space gives the space back (leader defragmented last, data intact), also after a kill -9 mid-defrag; defrag.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
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

const BIN = join(process.cwd(), 'bin', 'lifeboat');
const QUOTA = 4 * 1024 * 1024;
const diagnose = (inv: string, json = false) =>
  spawnSync(process.execPath, [BIN, 'diagnose', '-i', inv, ...(json ? ['--output', 'json'] : [])], {
    encoding: 'utf8',
    timeout: 60_000,
  });
let lab: Lab;

beforeAll(async () => {
  lab = await labUp({
    dir: join(mkdtempSync(join(tmpdir(), 'lb-incidents-')), 'lab'),
    seedData: true,
    quotaBytes: QUOTA,
    etcdVersion: labEtcdVersion(),
  });
});
afterAll(async () => {
  if (lab) await labDown(lab.dir);
});

interface Diag {
  verdict: string;
  facts: { members: Record<string, { status?: { memberId: string; leader: string } }> };
  alarms: Array<{ member: string; alarm: string }>;
  storage: Array<{ member: string; dbSize: number; quota: number; usedPct: number; quotaFrom: string }>;
  reasons: string[];
}

describe('fill-quota', () => {
  it('healthy under the small quota, then NOSPACE after fill-quota: diagnose exit 1 naming free-space', async () => {
    const ok = diagnose(lab.inventoryPath, true);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const before = JSON.parse(ok.stdout) as Diag;
    expect(before.storage.map((s) => [s.member, s.quota, s.quotaFrom])).toEqual(
      lab.members.map((m) => [m.name, QUOTA, 'metrics']),
    );

    const r = await labBreak(lab, 'fill-quota');
    expect(r.actions.join('\n')).toMatch(/database space exceeded/);
    const bad = diagnose(lab.inventoryPath, true);
    expect(bad.status, bad.stdout + bad.stderr).toBe(1);
    const d = JSON.parse(bad.stdout) as Diag;
    expect(d.verdict).toBe('degraded');
    expect(d.alarms.map((a) => a.alarm)).toContain('NOSPACE');
    expect(d.alarms.every((a) => lab.members.some((m) => m.name === a.member))).toBe(true);
    for (const s of d.storage) expect(s.usedPct, s.member).toBeGreaterThan(80);
    expect(d.reasons.join('\n')).toMatch(/alarm NOSPACE .* — run free-space/);

    const text = diagnose(lab.inventoryPath);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^space:$/m);
    expect(text.stdout).toMatch(/alarms NOSPACE/);
  });
});

/** The member leading when diagnose ran (its status names the leader's ID). */
const leaderOf = (d: Diag) => {
  const byId = new Map(Object.entries(d.facts.members).map(([n, f]) => [f.status?.memberId, n]));
  return byId.get(Object.values(d.facts.members).find((f) => f.status)?.status?.leader);
};
/** Members in the order a step's commands started on them (the audit log's order). */
const order = (runDir: string, stateId: string) => [
  ...new Set(
    readAuditEvents(runDir)
      .filter((e) => e.type === 'cmd.start' && e.stateId === stateId)
      .map((e) => e.member),
  ),
];
const dbSizes = (d: Diag) => new Map(d.storage.map((s) => [s.member, s.dbSize]));
const runDirs = mkdtempSync(join(tmpdir(), 'lb-incidents-runs-'));

describe('free-space', () => {
  it('NOSPACE -> free-space --yes: diagnose 0, a put succeeds, every key and value intact, db smaller, leader last', async () => {
    await labBreak(lab, 'fill-quota').catch(() => undefined); // already full from the test above: fill again if not
    const bad = JSON.parse(diagnose(lab.inventoryPath, true).stdout) as Diag;
    expect(bad.alarms.map((a) => a.alarm)).toContain('NOSPACE');
    const want = await clusterValues(lab);
    const leader = leaderOf(bad);
    expect(leader).toBeDefined();

    const runDir = join(runDirs, 'free');
    const r = await cli(
      ['run', 'free-space', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir],
      300_000,
    );
    expectCode(r, 0);
    const defragged = order(runDir, 'defrag/defrag');
    expect(defragged.sort()).toEqual(lab.members.map((m) => m.name).sort());
    expect(order(runDir, 'defrag/defrag').at(-1)).toBe(leader);

    const ok = diagnose(lab.inventoryPath, true);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const after = JSON.parse(ok.stdout) as Diag;
    expect(after.alarms).toEqual([]);
    for (const [m, size] of dbSizes(after)) expect(size, m).toBeLessThan(dbSizes(bad).get(m)!);
    await expectHealthyCluster(lab);
    for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
    await etcdctl(lab, 'put /lifeboat-test/after-free-space ok');
    expect((await etcdctl(lab, 'get /lifeboat-test/after-free-space --print-value-only')).trim()).toBe('ok');
    await etcdctl(lab, 'del /lifeboat-test/after-free-space');
  });

  it('kill -9 right after a member was defragmented, then resume: the same healthy result', async () => {
    await labBreak(lab, 'fill-quota');
    const want = await clusterValues(lab);
    const second = JSON.parse(
      (await cli(['plan', 'free-space', '-i', lab.inventoryPath, '--probe', '--output', 'json'])).stdout,
    ) as { items: Array<{ stateId: string; hosts?: Array<{ member: string }> }> };
    const hosts = second.items.find((i) => i.stateId === 'defrag/defrag')?.hosts?.map((h) => h.member) ?? [];
    expect(hosts).toHaveLength(lab.members.length);
    const runDir = join(runDirs, 'killed');
    const killed = await cli(
      ['run', 'free-space', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir],
      300_000,
      { LIFEBOAT_FAILPOINT: `after-cmd:defrag/defrag/${hosts[1]}/0` },
    );
    expect(killed.code).not.toBe(0);
    expect(existsSync(join(runDir, 'run.json')), `the run never started:\n${killed.stderr}`).toBe(true);
    expect(readAuditEvents(runDir).some((e) => e.type === 'run.end')).toBe(false);
    expectCode(await cli(['resume', runDir, '--yes'], 300_000), 0);
    expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    const d = diagnose(lab.inventoryPath);
    expect(d.status, d.stdout).toBe(0);
    await expectHealthyCluster(lab);
    expectSameData(await clusterValues(lab), want);
  });
});

describe('defrag', () => {
  it('refuses when no member has enough to gain; with threshold 0 every member in turn, the leader last', async () => {
    const none = await cli([
      'run',
      'defrag',
      '-i',
      lab.inventoryPath,
      '--set',
      'threshold=100',
      '--yes',
      '--run-dir',
      join(runDirs, 'd100'),
    ]);
    expectCode(none, 2);
    expect(none.stderr).toMatch(/nothing to gain/);
    const before = JSON.parse(diagnose(lab.inventoryPath, true).stdout) as Diag;
    const want = await clusterValues(lab);
    const runDir = join(runDirs, 'd0');
    const r = await cli([
      'run',
      'defrag',
      '-i',
      lab.inventoryPath,
      '--set',
      'threshold=0',
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 0);
    const done = order(runDir, 'defrag/defrag');
    expect([...done].sort()).toEqual(lab.members.map((m) => m.name).sort());
    expect(done.at(-1)).toBe(leaderOf(before));
    await expectHealthyCluster(lab);
    expectSameData(await clusterValues(lab), want);
  });
});
