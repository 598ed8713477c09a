// Shared bench helpers: timing, medians, child processes, result records for bench/run.mjs, cleanup on exit.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const LIFEBOAT = `${ROOT}/bin/lifeboat`;

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
export const fmtMs = (ms) => `${ms.toFixed(0)} ms`;
export const list = (xs, f = fmtS) => xs.map(f).join(', ');

/** Runs a command to completion; resolves {code, stdout, stderr, ms, startedAt} (never rejects on a non-zero exit). */
export function sh(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - t0,
        startedAt,
      });
    });
  });
}

/** Like sh, but throws with the output tail when the command fails. */
export async function must(cmd, args, opts = {}) {
  const r = await sh(cmd, args, opts);
  if (r.code !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${[cmd, ...args].join(' ').slice(0, 300)} exited ${r.code ?? r.signal}:\n${tail}`);
  }
  return r;
}

/** One result record for the summary table; appended as a JSON line to $BENCH_RESULTS when bench/run.mjs runs us. */
export function record(r) {
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(r)}\n`);
}

export const log = (m) => process.stderr.write(`bench: ${m}\n`);

/**
 * Cleanup that runs once: on normal exit of main(), on an error, and on SIGINT/SIGTERM.
 * Each entry is an async function; failures are reported, not thrown.
 */
const cleanups = [];
export function onCleanup(fn) {
  cleanups.push(fn);
}
let cleaning;
export function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        log(`cleanup: ${e.message}`);
      }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

/** Runs main with cleanup on every path; a failure sets exit code 1. */
export async function runMain(main) {
  try {
    await main();
  } catch (e) {
    process.exitCode = 1;
    log(`FAILED: ${e.stack ?? e.message}`);
  } finally {
    await cleanup();
  }
}
