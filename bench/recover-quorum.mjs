// recover-quorum per lab size and etcd version: `lifeboat run recover-quorum` against a floor, the same etcd
// operations typed by hand with no orchestration (bench/quorum-floor.mjs: one ssh per command, host after host).
//
//   node bench/recover-quorum.mjs [--members 3,5,7] [--versions 3.5,3.4] [--runs 1] [--keep-dir]
//   (env BENCH_SIZES=3,5 and BENCH_VERSIONS=3.5 override the defaults, as bench/run.mjs passes them on)
//
// Run after `npx tsc -p .`. Each cell: a fresh seeded lab (a free 127.0.N block), then per run: `lab break
// lose-quorum` + Lifeboat, `lab break lose-quorum` + the floor (both leave every member healthy, so the next break
// works). Wall times of the whole command; Lifeboat's engine time (run.start to run.end) and per-step medians beside.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labBreak, labDown, labExec, labUp } from '../dist/src/lab/index.js';
import { hostsOf } from './baseline-script.mjs';
import { floorScript } from './quorum-floor.mjs';
import { LIFEBOAT, fmtS, list, log, median, onCleanup, record, runMain, sh } from './lib/common.mjs';

const { values: v } = parseArgs({
  options: {
    members: { type: 'string', default: process.env.BENCH_SIZES ?? '3,5,7' },
    versions: { type: 'string', default: process.env.BENCH_VERSIONS ?? '3.5,3.4' },
    runs: { type: 'string', default: '1' },
    'keep-dir': { type: 'boolean', default: false },
  },
});
const sizes = v.members.split(',').map(Number);
const versions = v.versions.split(',');
const runs = Math.min(Math.max(Number(v.runs), 1), 10);

function readRun(runDir) {
  const events = readFileSync(join(runDir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const start = events.find((e) => e.type === 'run.start');
  const end = events.findLast((e) => e.type === 'run.end');
  const steps = {};
  for (const e of events) if (e.type === 'step.end') steps[e.stateId] = e.durationMs;
  return { engine: Date.parse(end.ts) - Date.parse(start.ts), steps };
}

/** Neutralizes the shared /root/.bashrc inside each host (see bench/restore.mjs): both sides pay a plain shell. */
async function plainShells(lab) {
  for (const m of lab.members) {
    const r = await labExec(
      lab,
      m.name,
      'if [ -f /root/.bashrc ]; then mount --bind /dev/null /root/.bashrc; fi',
    );
    if (r.code !== 0) throw new Error(`neutralizing .bashrc on ${m.name}: ${r.stderr}`);
  }
}

async function lifeboatOnce(lab, work, tag) {
  await labBreak(lab, 'lose-quorum');
  const runDir = join(work, `run-${tag}`);
  const args = [LIFEBOAT, 'run', 'recover-quorum', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir];
  const r = await sh(process.execPath, [...args, '--output', 'json'], { cwd: work, timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`lifeboat run exited ${r.code}; audit log ${runDir}/audit.jsonl`);
  return { ms: r.ms, ...readRun(runDir) };
}

async function floorOnce(lab, work, tag) {
  await labBreak(lab, 'lose-quorum');
  const script = join(work, `floor-${tag}.sh`);
  writeFileSync(script, floorScript(hostsOf(lab.inventoryPath), lab.members, tag));
  const r = await sh('bash', [script], { cwd: work, timeoutMs: 600_000 });
  if (r.code !== 0)
    throw new Error(`floor ${script} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-8)}`);
  return { ms: r.ms };
}

async function benchCell(n, version, work) {
  const labDir = join(work, `lab-${n}-${version}`);
  onCleanup(() => labDown(labDir));
  const lab = await labUp({ members: n, dir: labDir, seedData: true, etcdVersion: version, log: () => {} });
  log(`lab up: ${n} members, etcd ${lab.etcd?.release ?? version} (${lab.subnet})`);
  await plainShells(lab);
  const life = [];
  const floor = [];
  for (let i = 0; i < runs; i++) {
    life.push(await lifeboatOnce(lab, work, `${n}-${version}-${i}`));
    log(`${n} members, ${version}: lifeboat ${fmtS(life.at(-1).ms)} (engine ${fmtS(life.at(-1).engine)})`);
    floor.push(await floorOnce(lab, work, `${n}-${version}-${i}`));
    log(`${n} members, ${version}: floor ${fmtS(floor.at(-1).ms)}`);
  }
  await labDown(labDir);
  const L = median(life.map((x) => x.ms));
  const F = median(floor.map((x) => x.ms));
  const E = median(life.map((x) => x.engine));
  console.log(`\n== recover-quorum, ${n} members, etcd ${lab.etcd?.release ?? version}`);
  console.log(`lifeboat run --yes   ${fmtS(L)}   (runs: ${list(life.map((x) => x.ms))}; engine ${fmtS(E)})`);
  console.log(`floor (plain ssh)    ${fmtS(F)}   (runs: ${list(floor.map((x) => x.ms))})`);
  console.log(`ratio                ${(L / F).toFixed(2)}`);
  for (const id of Object.keys(life[0].steps))
    console.log(
      `  ${id.padEnd(30)} ${median(life.map((x) => x.steps[id] ?? 0))
        .toFixed(0)
        .padStart(7)} ms`,
    );
  record({
    case: 'recover-quorum',
    members: n,
    version,
    release: lab.etcd?.release,
    runs,
    lifeboatMs: L,
    engineMs: E,
    floorMs: F,
    ratio: L / F,
    steps: Object.fromEntries(
      Object.keys(life[0].steps).map((id) => [id, median(life.map((x) => x.steps[id]))]),
    ),
  });
}

await runMain(async () => {
  const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-quorum-'));
  if (!v['keep-dir']) onCleanup(() => rmSync(work, { recursive: true, force: true }));
  log(`work dir ${work}; sizes ${sizes.join(', ')}; etcd ${versions.join(', ')}; ${runs} run(s) each`);
  for (const version of versions) for (const n of sizes) await benchCell(n, version, work);
});
