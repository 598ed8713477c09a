// Cases 1, 5 and 6b: multi-master restore on a seeded lab, Lifeboat against the hand-written baseline
// (bench/baseline-script.mjs: the same plan, one ssh per command, host after host), per lab size; plan time;
// time from process start to the first SSH command of a run.
//
//   node bench/restore.mjs [--members 3,5,7] [--runs 3] [--baseline-runs N] [--plan-runs 5] [--keep-bashrc]
//
// Run after `npx tsc -p .`. Each size: a fresh lab (lifeboat lab up --seed-data, a free 127.0.N block), one backup
// with `lifeboat run backup`, then Lifeboat and baseline restores alternated (restore leaves the cluster healthy, so
// the next run restores again). The lab is brought down at the end, also on error or Ctrl-C.
//
// The lab hosts share this machine's /root; its .bashrc may be heavy (pyenv init here: ~150 ms per command, paid by
// every ssh command AND every Lifeboat exec channel). Unless --keep-bashrc, the bench bind-mounts /dev/null over
// /root/.bashrc inside each lab host (their own mount namespace, nothing outside changes), so both sides pay a plain
// shell start as on a real control-plane node.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labDown, labExec, labUp } from '../dist/src/lab/index.js';
import { baselineScript, hostsOf } from './baseline-script.mjs';
import {
  LIFEBOAT,
  fmtMs,
  fmtS,
  list,
  log,
  median,
  must,
  onCleanup,
  record,
  runMain,
  sh,
} from './lib/common.mjs';

const { values: v } = parseArgs({
  options: {
    members: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    'baseline-runs': { type: 'string' },
    'plan-runs': { type: 'string', default: '5' },
    'keep-bashrc': { type: 'boolean', default: false },
    'keep-dir': { type: 'boolean', default: false },
  },
});
const sizes = v.members.split(',').map(Number);
const runs = Math.min(Math.max(Number(v.runs), 1), 10);
const baselineRuns = Math.min(Number(v['baseline-runs'] ?? runs), 10);
const planRuns = Math.min(Math.max(Number(v['plan-runs']), 1), 20);
const RUNBOOK = 'restore-multi-master';

const ts = (e) => Date.parse(e.ts);

/** Reads a run's audit log: wall phases and per-step durations. */
function readRun(runDir, startedAt) {
  const events = readFileSync(join(runDir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const start = events.find((e) => e.type === 'run.start');
  const end = events.findLast((e) => e.type === 'run.end');
  const firstCmd = events.find((e) => e.type === 'cmd.start');
  const steps = {};
  for (const e of events) if (e.type === 'step.end') steps[e.stateId] = e.durationMs;
  return {
    status: end?.status,
    toRunStart: ts(start) - startedAt,
    toFirstCmd: ts(firstCmd) - startedAt,
    engine: ts(end) - ts(start),
    steps,
  };
}

/** The baseline's per-step wall times from its "== STEP MILLIS" lines. */
function baselineSteps(stderr) {
  const marks = [...stderr.matchAll(/^== (\S+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
  const steps = {};
  for (let i = 0; i + 1 < marks.length; i++) steps[marks[i][0]] = marks[i + 1][1] - marks[i][1];
  return steps;
}

async function benchSize(n, work) {
  const labDir = join(work, `lab-${n}`);
  onCleanup(async () => {
    const r = await labDown(labDir);
    log(
      `lab ${labDir} down (${r.stopped} processes stopped${r.remaining.length ? `, REMAINING: ${r.remaining.join(' ')}` : ''})`,
    );
  });
  const t0 = performance.now();
  const lab = await labUp({ members: n, dir: labDir, seedData: true, log: (l) => log(`lab: ${l}`) });
  log(`lab up with ${n} members in ${fmtMs(performance.now() - t0)} (${lab.subnet})`);
  const inv = lab.inventoryPath;
  if (!v['keep-bashrc']) {
    for (const m of lab.members) {
      const r = await labExec(
        lab,
        m.name,
        'if [ -f /root/.bashrc ]; then mount --bind /dev/null /root/.bashrc; fi',
      );
      if (r.code !== 0) throw new Error(`neutralizing .bashrc on ${m.name}: ${r.stderr}`);
    }
  }

  // One snapshot, taken by Lifeboat's own backup runbook.
  // Retried: a download in the backup runbook has failed intermittently here ("hashing ... failed (exit null)"),
  // which is the SSH owner's to fix, not a reason to lose a bench run.
  let snapDir;
  for (let attempt = 1; ; attempt++) {
    snapDir = join(work, `snap-${n}-${attempt}`);
    const r = await sh(
      process.execPath,
      [
        LIFEBOAT,
        'run',
        'backup',
        '-i',
        inv,
        '--set',
        `to=${snapDir}`,
        '--yes',
        '--run-dir',
        join(work, `backup-${n}-${attempt}`),
        '--output',
        'json',
      ],
      { cwd: work, timeoutMs: 300_000 },
    );
    if (r.code === 0) break;
    const why =
      r.stderr
        .trim()
        .split('\n')
        .findLast((l) => l.startsWith('lifeboat:')) ?? `exit ${r.code}`;
    if (attempt >= 3) throw new Error(`lifeboat run backup failed 3 times; last: ${why}`);
    log(`backup attempt ${attempt} failed (${why}); again`);
  }
  const sub = readdirSync(snapDir).find((d) => !d.startsWith('.'));
  const snapshot = join(snapDir, sub, 'etcd-cp-1.db');
  log(`snapshot ${snapshot}`);

  const planArgs = ['plan', RUNBOOK, '-i', inv, '--set', `snapshot=${snapshot}`, '--output', 'json'];
  const plans = [];
  for (let i = 0; i < planRuns; i++)
    plans.push((await must(process.execPath, [LIFEBOAT, ...planArgs], { cwd: work })).ms);

  const life = [];
  const base = [];
  const total = Math.max(runs, baselineRuns);
  const failures = [];
  for (let i = 0; i < total || life.length < runs; i++) {
    if (life.length < runs) {
      const runDir = join(work, `run-${n}-${i}`);
      const startedAt = Date.now();
      const r = await sh(
        process.execPath,
        [
          LIFEBOAT,
          'run',
          RUNBOOK,
          '-i',
          inv,
          '--set',
          `snapshot=${snapshot}`,
          '--yes',
          '--run-dir',
          runDir,
          '--output',
          'json',
        ],
        { cwd: work, timeoutMs: 600_000 },
      );
      if (r.code !== 0) {
        // Reported, not hidden: counted in the output and the record. The next run restores again from the same
        // snapshot (every step is idempotent), so the lab does not need rebuilding; at most 2 failures per size.
        const why =
          r.stderr
            .trim()
            .split('\n')
            .findLast((l) => l.startsWith('lifeboat:')) ?? `exit ${r.code}`;
        failures.push(why);
        log(`${n} members: lifeboat run FAILED (${why}); audit log ${runDir}/audit.jsonl`);
        if (failures.length > 2) throw new Error(`lifeboat run ${RUNBOOK} failed ${failures.length} times`);
        // Finish the failed run the product's way (it also releases the cluster lock), then go on.
        const res = await sh(
          process.execPath,
          [LIFEBOAT, 'resume', runDir, '--yes', '--retry', '--output', 'json'],
          { cwd: work, timeoutMs: 600_000 },
        );
        if (res.code !== 0)
          throw new Error(
            `lifeboat resume ${runDir} --retry exited ${res.code}: ${res.stderr.trim().split('\n').slice(-5).join('\n')}`,
          );
        log(`${n} members: resumed the failed run with --retry: done`);
        continue;
      }
      const a = readRun(runDir, startedAt);
      life.push({ ms: r.ms, ...a });
      log(`${n} members: lifeboat run ${i + 1}: ${fmtS(r.ms)} (first ssh command at ${fmtMs(a.toFirstCmd)})`);
    }
    if (i < baselineRuns) {
      // A fresh plan per run: its stamp names the aside dir and the restored snapshot, like the run's own.
      const plan = await must(process.execPath, [LIFEBOAT, ...planArgs], { cwd: work });
      const script = join(work, `baseline-${n}-${i}.sh`);
      writeFileSync(script, baselineScript(JSON.parse(plan.stdout), hostsOf(inv)));
      const r = await sh('bash', [script], { cwd: work, timeoutMs: 900_000 });
      if (r.code !== 0)
        throw new Error(
          `baseline ${script} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-10).join('\n')}`,
        );
      base.push({ ms: r.ms, steps: baselineSteps(r.stderr) });
      log(`${n} members: baseline run ${i + 1}: ${fmtS(r.ms)}`);
    }
  }

  const L = median(life.map((x) => x.ms));
  const B = base.length ? median(base.map((x) => x.ms)) : NaN;
  const P = median(plans);
  const first = median(life.map((x) => x.toFirstCmd));
  const runStart = median(life.map((x) => x.toRunStart));
  console.log(
    `\n== restore-multi-master, ${n} members, ${lab.seeded ? 'seeded' : 'not seeded'} (${lab.subnet})`,
  );
  console.log(
    `lifeboat run --yes        ${fmtS(L)}   (runs: ${list(life.map((x) => x.ms))})${failures.length ? `; ${failures.length} FAILED run(s): ${failures.join(' / ')}` : ''}`,
  );
  if (base.length)
    console.log(`baseline ssh-per-command  ${fmtS(B)}   (runs: ${list(base.map((x) => x.ms))})`);
  if (base.length) console.log(`ratio lifeboat/baseline   ${(L / B).toFixed(2)}   (goal <= 0.80)`);
  console.log(`plan (--output json)      ${fmtMs(P)}   (runs: ${list(plans, fmtMs)})`);
  console.log(`start -> run.start        ${fmtMs(runStart)}   start -> first ssh command ${fmtMs(first)}`);
  const stepIds = Object.keys(life[0].steps);
  console.log(`per step (median ms)      ${'lifeboat'.padStart(9)} ${'baseline'.padStart(9)}`);
  for (const id of stepIds) {
    const l = median(life.map((x) => x.steps[id] ?? 0));
    const b = base.length ? median(base.map((x) => x.steps[id] ?? 0)) : NaN;
    console.log(
      `  ${id.padEnd(24)} ${l.toFixed(0).padStart(9)} ${Number.isNaN(b) ? '' : b.toFixed(0).padStart(9)}`,
    );
  }
  console.log(`  ${'(before run.start)'.padEnd(24)} ${runStart.toFixed(0).padStart(9)}`);
  // The one step with a bimodal time (see docs/performance.md: leader transfer on a parallel stop).
  console.log(
    `start/start-etcd per lifeboat run: ${list(
      life.map((x) => x.steps['start/start-etcd'] ?? 0),
      fmtMs,
    )}`,
  );
  record({
    case: 'restore',
    members: n,
    lifeboatMs: L,
    baselineMs: B,
    ratio: L / B,
    planMs: P,
    firstCmdMs: first,
    runStartMs: runStart,
    lifeboatRuns: life.map((x) => x.ms),
    failedRuns: failures,
    startEtcdRuns: life.map((x) => x.steps['start/start-etcd'] ?? 0),
    baselineRuns: base.map((x) => x.ms),
  });

  await labDown(labDir);
  log(`lab ${labDir} down`);
}

await runMain(async () => {
  const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-restore-'));
  if (!v['keep-dir']) onCleanup(() => rmSync(work, { recursive: true, force: true }));
  log(`work dir ${work}; sizes ${sizes.join(', ')}; ${runs} lifeboat + ${baselineRuns} baseline runs each`);
  for (const n of sizes) await benchSize(n, work);
});
