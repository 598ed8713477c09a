// `npm run bench`: every benchmark case of issue 7 (and 8, offsite.mjs: a backup to an object store), one after another, then one table (Markdown) of medians and ratios.
//
//   node bench/run.mjs [--only restore,ssh,transfer,inspect,cli,offsite,recover-quorum] [--quick] [--runs N] [--md FILE]
//   (env BENCH_ONLY=recover-quorum does what --only does; BENCH_SIZES=3,5 and BENCH_VERSIONS=3.5 narrow recover-quorum)
//
// Cases: 1+5+6b restore.mjs (3, 5, 7 members: Lifeboat vs ssh-per-command script; plan time; time to the first SSH
// command), 2 ssh-commands.mjs, 3 transfer.mjs, 4 snapshot-inspect.mjs, 6a cli-start.mjs. Each runs as its own
// process and cleans up after itself (labs down, sshd stopped, by pid). --quick: 1 run, 3 members only, 64 MiB files
// (a smoke test of the harness, not numbers to publish). Build first: `npx tsc -p .`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/common.mjs';

const { values: v } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    md: { type: 'string' },
  },
});
const onlyList = v.only ?? process.env.BENCH_ONLY;
const only = onlyList ? new Set(onlyList.split(',')) : undefined;
const runs = v.runs ?? (v.quick ? '1' : '3');
const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-run-'));
const results = join(work, 'results.jsonl');

if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
  process.stderr.write('bench: not built; run `npx tsc -p .` first\n');
  process.exit(2);
}

/** Runs one case; its stdout is shown live and kept for parsing. */
function runCase(name, args) {
  return new Promise((resolve) => {
    process.stdout.write(`\n######## ${name}: node ${args.join(' ')}\n`);
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_RESULTS: results },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    // Forward Ctrl-C to the case (it cleans up and exits), then stop.
    const onSig = () => child.kill('SIGINT');
    process.on('SIGINT', onSig);
    child.on('close', (code) => {
      process.off('SIGINT', onSig);
      process.stdout.write(
        `######## ${name}: exit ${code} after ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
      );
      resolve({ code, out });
    });
  });
}

const want = (c) => !only || only.has(c);
const outs = {};
const codes = {};
const cases = [
  ['restore', ['bench/restore.mjs', '--members', v.quick ? '3' : '3,5,7', '--runs', runs]],
  ['ssh', ['bench/ssh-commands.mjs']],
  ['transfer', ['bench/transfer.mjs', '--runs', runs, ...(v.quick ? ['--size-mb', '64'] : [])]],
  ['inspect', ['bench/snapshot-inspect.mjs', ...(v.quick ? ['--size-mb', '64'] : [])]],
  ['cli', ['bench/cli-start.mjs']],
  ['offsite', ['bench/offsite.mjs', ...(v.quick ? ['--size-mb', '64'] : [])]],
  [
    'recover-quorum',
    [
      'bench/recover-quorum.mjs',
      '--runs',
      v.runs ?? '1',
      ...(v.quick ? ['--members', '3', '--versions', '3.5'] : []),
    ],
  ],
];
const started = new Date();
for (const [name, args] of cases) {
  if (!want(name)) continue;
  const r = await runCase(name, args);
  outs[name] = r.out;
  codes[name] = r.code;
}

// ---- the table
const recs = existsSync(results)
  ? readFileSync(results, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
rmSync(work, { recursive: true, force: true });
const s = (ms) => (ms === undefined || Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`);
const m = (ms) => (ms === undefined || Number.isNaN(ms) ? '—' : `${ms.toFixed(0)} ms`);
const r2 = (x) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(2));
const ok = (b) => (b === undefined ? '—' : b ? 'yes' : '**no**');
const rows = [];
const failed = (name) =>
  codes[name] !== undefined && codes[name] !== 0 ? ` (case exited ${codes[name]})` : '';

const restore = (n) => recs.find((x) => x.case === 'restore' && x.members === n);
if (want('restore')) {
  const r3 = restore(3);
  rows.push([
    '1',
    'restore-multi-master, 3 members, seeded' + failed('restore'),
    s(r3?.lifeboatMs),
    `${s(r3?.baselineMs)} ssh per command`,
    r2(r3?.ratio),
    '≤ 0.80',
    ok(r3 && r3.ratio <= 0.8),
  ]);
}
if (want('ssh')) {
  const o = outs.ssh ?? '';
  const num = (re) => Number(re.exec(o)?.[1] ?? NaN);
  const ex = num(/SshExecutor \(sequential\)\s+(\d+) ms/);
  const cm = num(/ssh ControlMaster \(ControlPersist\)\s+(\d+) ms/);
  const loop = num(/ssh host cmd loop\s+(\d+) ms/);
  rows.push([
    '2',
    '200 short commands, one host' + failed('ssh'),
    m(ex),
    `${m(cm)} ControlMaster; ${s(loop)} ssh loop`,
    r2(ex / cm),
    '≤ 1 (vs ControlMaster)',
    ok(ex <= cm),
  ]);
}
if (want('transfer')) {
  const t = recs.find((x) => x.case === 'transfer');
  const gib = t ? (t.bytes / 2 ** 30).toFixed(2) : '?';
  rows.push([
    '3',
    `distribute ${gib} GiB to 3 hosts, sha256 on each` + failed('transfer'),
    s(t?.lifeboatMs),
    `${s(t?.baselineMs)} sequential scp + sha256sum`,
    r2(t?.ratio),
    '< 1',
    ok(t && t.ratio < 1),
  ]);
}
if (want('inspect')) {
  const o = outs.inspect ?? '';
  const e = /etcdctl snapshot status\s+([\d.]+) s\s+peak RSS (\d+) MiB/.exec(o);
  const l = /lifeboat snapshot inspect\s+([\d.]+) s\s+peak RSS (\d+) MiB/.exec(o);
  const size = /\(([\d.]+) GiB\)/.exec(o)?.[1] ?? '?';
  const es = Number(e?.[1] ?? NaN);
  const ls = Number(l?.[1] ?? NaN);
  rows.push([
    '4',
    `snapshot inspect, ${size} GiB (best run)` + failed('inspect'),
    `${ls.toFixed(2)} s, ${l?.[2] ?? '?'} MiB RSS`,
    `${es.toFixed(2)} s, ${e?.[2] ?? '?'} MiB RSS etcdctl snapshot status`,
    r2(ls / es),
    '< 1, RSS < 512 MiB',
    ok(codes.inspect === 0),
  ]);
}
if (want('restore')) {
  const r3 = restore(3);
  for (const n of [5, 7]) {
    const r = restore(n);
    if (!r) continue;
    rows.push([
      '5',
      `restore-multi-master, ${n} members`,
      s(r.lifeboatMs),
      `${s(r.baselineMs)} ssh per command`,
      r2(r.ratio),
      `flat: ${r2(r.lifeboatMs / r3?.lifeboatMs)}× the 3-member time`,
      '—',
    ]);
  }
  const r7 = restore(7) ?? restore(3);
  if (r7)
    rows.push(['5', `plan restore-multi-master, ${r7.members} members`, m(r7.planMs), '—', '—', '—', '—']);
  if (r3)
    rows.push(['6', 'start → first SSH command of a run (3 members)', m(r3.firstCmdMs), '—', '—', '—', '—']);
}
if (want('cli')) {
  const c = recs.find((x) => x.case === 'cli');
  rows.push([
    '6',
    'lifeboat --help' + failed('cli'),
    m(c?.helpMs),
    `${m(c?.nodeMs)} bare node -e ''`,
    '—',
    '< 300 ms',
    ok(c && c.helpMs < 300),
  ]);
}

const off = recs.find((x) => x.case === 'offsite');
if (want('offsite'))
  rows.push([
    '8',
    `${off?.mb ?? '?'} MiB to an S3 store (upload + read-back hash; peak RSS ${off ? (off.rssKiB / 1024).toFixed(0) : '?'} MiB)` +
      failed('offsite'),
    s(off?.lifeboatMs),
    `${s(off?.baselineMs)} rclone copy`,
    r2(off?.ratio),
    '—',
    '—',
  ]);
if (want('recover-quorum'))
  for (const r of recs.filter((x) => x.case === 'recover-quorum'))
    rows.push([
      '11',
      `recover-quorum, ${r.members} members, etcd ${r.release ?? r.version} (${r.runs ?? '?'} run(s))` +
        failed('recover-quorum'),
      `${s(r.lifeboatMs)} (engine ${s(r.engineMs)})`,
      `${s(r.floorMs)} floor: etcd operations only, plain ssh`,
      r2(r.ratio),
      '—',
      '—',
    ]);
if (want('recover-quorum') && !recs.some((x) => x.case === 'recover-quorum'))
  rows.push(['11', 'recover-quorum' + failed('recover-quorum'), '—', '—', '—', '—', '—']);
const header = ['#', 'case', 'Lifeboat', 'baseline', 'ratio', 'goal', 'met'];
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const machine = `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} free at the end), node ${process.version}, ${started.toISOString()}`;
const md = `${table}\n\nMachine: ${machine}. Medians of ${runs} run(s) unless noted.\n`;
process.stdout.write(`\n${md}`);
if (v.md) writeFileSync(v.md, md);
process.exitCode = Object.values(codes).some((c) => c !== 0) ? 1 : 0;
