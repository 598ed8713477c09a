// Crash sweep: each runbook killed by a failpoint (LIFEBOAT_FAILPOINT) at journal boundaries, resumed with --yes,
// then checked: data as expected, cluster healthy, audit verifies, lock released, nothing left parked, no destructive
// command applied twice. The boundaries are grouped into classes (test/helpers/crash-classes.ts). `npm test` runs a
// fixed-seed sample drawn from the classes (one point inside a destructive step, one elsewhere);
// `npm run crash-sweep` (CRASH_SWEEP=classes) tries one point per class of every runbook on both topologies, and
// CRASH_SWEEP=full every boundary; both print the table in docs/reliability.md.
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labBreak, labExec, type Lab } from '../../src/lab/index.js';
import { sh } from '../../src/shell/sh.js';
import {
  crashClasses,
  onePerClass,
  pointSpec,
  sampleClasses,
  type CrashClass,
  type CrashPoint,
} from '../helpers/crash-classes.js';
import { rng } from '../../src/lab/seed.js';
import {
  ROOT,
  cli,
  clusterValues,
  damage,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  hostExists,
  readAuditEvents,
  snapshotValues,
  oneLab,
  takeSnapshot,
} from './runbook-helpers.js';

const MODE =
  process.env.CRASH_SWEEP === 'full' || process.env.CRASH_SWEEP === 'classes'
    ? process.env.CRASH_SWEEP
    : 'sample';
const FULL = MODE !== 'sample';
const SEED = 20261201;

// Where each runbook is swept. The sample (npm test) takes each runbook on one topology only, alternating, at three
// points drawn with a fixed seed over the whole run: an after-entry, an after-cmd, and a third whose kind alternates.
const TOPOLOGIES = [
  { mode: 'static-pod', size: 3, sample: ['backup', 'restore-multi-master'] },
  { mode: 'systemd', size: 3, sample: ['recover-quorum', 'replace-member'] },
  { mode: 'systemd', size: 1, sample: ['restore-single-master'] },
  { mode: 'static-pod', size: 1, sample: [] },
] as const;

const spec = pointSpec;

interface Scenario {
  runbook: string;
  /** Puts the lab into the state the runbook repairs; returns the data expected afterwards. */
  prepare(lab: Lab, n: number): Promise<Map<string, Buffer>>;
  args(lab: Lab, n: number): string[];
}

interface Outcome {
  runbook: string;
  mode: string;
  classes: number;
  exhaustive: number;
  tried: number;
  notReached: number;
  recovered: number;
  failed: string[];
}

/** Runs the CLI with a failpoint; tells whether it died by SIGKILL (the failpoint fired) or ended by itself. */
function runWithFailpoint(
  args: string[],
  failpoint: string,
): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((res) => {
    execFile(
      'node',
      [join(ROOT, 'bin/lifeboat'), ...args],
      {
        cwd: ROOT,
        timeout: 170_000,
        maxBuffer: 64 << 20,
        env: { ...process.env, NO_COLOR: '1', LIFEBOAT_FAILPOINT: failpoint },
      },
      (err, _stdout, stderr) => {
        const e = err as (Error & { code?: unknown; signal?: string }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
        res({ killed: e?.signal === 'SIGKILL', code, stderr });
      },
    );
  });
}

/** Resumes to the end: --yes, and --retry after a failed step (at most twice). */
async function resumeToEnd(runDir: string): Promise<void> {
  let r = await cli(['resume', runDir, '--yes']);
  for (let i = 0; i < 2 && r.code === 1; i++) r = await cli(['resume', runDir, '--yes', '--retry']);
  expectCode(r, 0);
}

async function expectRecovered(lab: Lab, runDir: string, want: Map<string, Buffer>, runbook: string) {
  expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
  expectCode(await cli(['audit', 'verify', runDir]), 0);
  if (runbook !== 'backup')
    await expectHealthyCluster(lab, { etcdServers: runbook === 'recover-quorum' ? 'all' : 'members' });
  expectSameData(await clusterValues(lab), want);
  expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
  for (const m of lab.members)
    expect(await hostExists(lab, m.name, '/backup/.lifeboat-lock'), `${m.name}: lock left behind`).toBe(
      false,
    );
}

/** Points to try: every boundary (full), one per class (classes), or the sample drawn from the classes. */
function pointsOf(classes: CrashClass[], rand: () => number): CrashPoint[] {
  if (MODE === 'full') return classes.flatMap((c) => c.points);
  if (MODE === 'classes') return onePerClass(classes, rand);
  return sampleClasses(classes, rand, 1);
}

/** What a crashed and resumed run must not leave on a host: a parked manifest, the force-new-cluster drop-in or flag. */
async function expectNothingLeft(lab: Lab) {
  const script = sh`
    # a manifest still parked by a stop
    for f in /etc/kubernetes/manifests-stopped-by-lifeboat/*; do [ -e "$f" ] && echo "parked: $f"; done
    # the systemd drop-in or the static-pod flag of a forced new cluster
    [ -e /etc/systemd/system/etcd.service.d/90-lifeboat-force-new-cluster.conf ] && echo 'force-new-cluster drop-in'
    grep -l -e --force-new-cluster /etc/kubernetes/manifests/*.yaml 2>/dev/null | sed 's/^/force-new-cluster in /'
    true`;
  for (const m of lab.members)
    expect((await labExec(lab, m.name, script.text)).stdout.trim(), `${m.name}: left behind`).toBe('');
}

/** A destructive command that ended well is never run again at the same place (step, host, command). */
function expectNoDestructiveRepeat(runDir: string) {
  const events = readAuditEvents(runDir);
  const destructive = new Set(events.filter((e) => e.type === 'approval').map((e) => e.stateId));
  const seen = new Map<string, number>();
  for (const e of events)
    if (e.type === 'cmd.end' && e.exitCode === 0 && destructive.has(e.stateId)) {
      const at = `${e.stateId}/${e.member}/${String(e.index)}`;
      seen.set(at, (seen.get(at) ?? 0) + 1);
    }
  expect([...seen].filter(([, count]) => count > 1)).toEqual([]);
}

async function sweep(lab: Lab, s: Scenario, base: string, rand: () => number): Promise<Outcome> {
  const out: Outcome = {
    runbook: s.runbook,
    mode: lab.mode,
    classes: 0,
    exhaustive: 0,
    tried: 0,
    notReached: 0,
    recovered: 0,
    failed: [],
  };
  // One uninterrupted run first: it names the boundaries, and proves the scenario itself works.
  let want = await s.prepare(lab, 0);
  const first = join(base, `${s.runbook}-0`);
  expectCode(
    await cli(['run', s.runbook, '-i', lab.inventoryPath, ...s.args(lab, 0), '--yes', '--run-dir', first]),
    0,
  );
  await expectRecovered(lab, first, want, s.runbook);
  const classes = crashClasses(readAuditEvents(first));
  const points = pointsOf(classes, rand);
  out.classes = classes.length;
  out.exhaustive = classes.reduce((sum, c) => sum + c.points.length, 0);
  mkdirSync(base, { recursive: true });
  // A full sweep runs for an hour or more: one line per point shows how far it got (tail -f progress.log).
  const progress = (line: string) => appendFileSync(join(base, 'progress.log'), `${line}\n`);
  if (FULL)
    for (const c of classes) progress(`${s.runbook} class ${c.key}: stands for ${c.points.length} point(s)`);
  for (const [i, p] of points.entries()) {
    const n = i + 1;
    const started = Date.now();
    want = await s.prepare(lab, n);
    const runDir = join(base, `${s.runbook}-${n}`);
    out.tried++;
    const r = await runWithFailpoint(
      ['run', s.runbook, '-i', lab.inventoryPath, ...s.args(lab, n), '--yes', '--run-dir', runDir],
      spec(p),
    );
    try {
      if (r.killed) await resumeToEnd(runDir);
      else out.notReached++;
      await expectRecovered(lab, runDir, want, s.runbook);
      await expectNothingLeft(lab);
      expectNoDestructiveRepeat(runDir);
      out.recovered++;
      progress(
        `${s.runbook} ${n}/${points.length} ${spec(p)} ${r.killed ? 'recovered' : 'not reached'} ${Date.now() - started} ms`,
      );
    } catch (err) {
      progress(
        `${s.runbook} ${n}/${points.length} ${spec(p)} FAILED: ${(err as Error).message.split('\n')[0]}`,
      );
      const why = `${s.runbook} on ${lab.mode}, ${spec(p)} (${r.killed ? 'killed' : `not killed, exit ${r.code}`})`;
      out.failed.push(`${spec(p)}: ${(err as Error).message.split('\n')[0]}`);
      if (!FULL)
        throw new Error(`${why}: ${(err as Error).message}\n${r.stderr.split('\n').slice(-15).join('\n')}`);
      return out; // the lab is in an unknown state: the rest of this runbook's points would not say anything
    }
  }
  return out;
}

function scenarios(dir: string, lab: Lab): Scenario[] {
  let snapshot = '';
  const multi: Scenario[] = [
    {
      runbook: 'backup',
      prepare: async (l) => clusterValues(l),
      args: (l, n) => ['--set', `to=${join(dir, `${l.mode}-backups-${n}`)}`],
    },
    {
      runbook: 'recover-quorum',
      prepare: async (l) => {
        const want = await clusterValues(l);
        await labBreak(l, 'lose-quorum');
        return want;
      },
      args: () => [],
    },
    {
      runbook: 'restore-multi-master',
      prepare: async (l, n) => {
        if (!snapshot) snapshot = await takeSnapshot(l, join(dir, `${l.mode}-snapshot.db`));
        await damage(l, `${l.mode}-${n}`);
        return snapshotValues(snapshot);
      },
      args: () => ['--set', `snapshot=${snapshot}`],
    },
    {
      runbook: 'replace-member',
      prepare: async (l) => {
        const want = await clusterValues(l);
        await labBreak(l, 'wipe-member', l.members[1]!.name);
        return want;
      },
      args: (l) => ['--set', `failed=${l.members[1]!.name}`],
    },
  ];
  // restore-single-master is the one-member runbook: its own lab of one.
  const single: Scenario = {
    runbook: 'restore-single-master',
    prepare: async (l, n) => {
      if (!snapshot) snapshot = await takeSnapshot(l, join(dir, `${l.mode}-single-snapshot.db`));
      await damage(l, `${l.mode}-single-${n}`);
      return snapshotValues(snapshot);
    },
    args: () => ['--set', `snapshot=${snapshot}`],
  };
  return lab.members.length >= 3 ? multi : [single];
}

const outcomes: Outcome[] = [];
const only = process.env.CRASH_SWEEP_ONLY;
const wanted = process.env.CRASH_SWEEP_RUNBOOKS?.split(',');
const swept = TOPOLOGIES.map((t, i) => ({ ...t, seed: i }))
  .filter((t) => (!only || t.mode === only) && (FULL || t.sample.length > 0))
  // A lab only where a runbook asked for runs (CRASH_SWEEP_RUNBOOKS=restore-single-master needs the labs of one).
  .filter((t) => !wanted || wanted.some((r) => (r === 'restore-single-master') === (t.size === 1)))
  .map((t) => ({ ...t, key: `${t.mode}-${t.size}` }));
const labs = new Map<string, Lab>();
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-crash-'));
for (const t of swept)
  oneLab(`crash-${t.key}`, { members: t.size, mode: t.mode }, (lab) => labs.set(t.key, lab));

afterAll(() => {
  if (!FULL) rmSync(dir, { recursive: true, force: true }); // a full sweep keeps progress.log and the table
  if (!FULL || outcomes.length === 0) return;
  const rows = outcomes.map(
    (o) =>
      `| ${o.runbook} | ${o.mode} | ${o.classes} | ${o.exhaustive} | ${o.tried} | ${o.recovered} | ` +
      `${o.notReached} | ${o.failed[0] ?? '—'} |`,
  );
  const table = [
    `Sweep: ${MODE}.`,
    '',
    '| runbook | topology | classes | exhaustive points | points tried | recovered | run ended before the point ' +
      '| first failing point |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  writeFileSync(join(dir, 'crash-sweep.md'), table + '\n');
  process.stdout.write(`\n${table}\n(crash sweep table also in ${join(dir, 'crash-sweep.md')})\n`);
});

describe.concurrent('crash sweep: kill at journal boundaries, resume, same healthy end', () => {
  for (const t of swept) {
    const names = FULL ? 'every runbook of that size' : t.sample.join(' and ');
    it(
      `${t.mode}, ${t.size} member${t.size > 1 ? 's' : ''}: ${names}`,
      async () => {
        const lab = labs.get(t.key)!;
        const rand = rng(SEED + t.seed);
        const base = join(dir, t.key);
        const sampled: readonly string[] = t.sample;
        const chosen = scenarios(dir, lab).filter(
          (x) => (FULL || sampled.includes(x.runbook)) && (!wanted || wanted.includes(x.runbook)),
        );
        if (chosen.length === 0) return; // CRASH_SWEEP_RUNBOOKS named none of this lab's runbooks
        for (const s of chosen) {
          const o = await sweep(lab, s, base, rand);
          outcomes.push(o);
          expect(o.failed, `${s.runbook} on ${t.mode}`).toEqual([]);
          expect(o.tried).toBeGreaterThan(0);
        }
        expect(existsSync(base) ? readdirSync(base).length : 0).toBeGreaterThan(0);
      },
      FULL ? 4 * 3600_000 : 900_000,
    );
  }
});
