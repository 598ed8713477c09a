// snapshot ls and diff of big snapshots within the memory budget docs/security.md states (a base plus bytes per key):
// the files are written by a bbolt writer (a real etcd takes minutes to hold a million keys), the CLI runs as its own
// process and reports its peak resident set size. 200k keys by default (a minute on a loaded 2-core machine);
// LIFEBOAT_BIG_SNAPSHOT_KEYS=1000000 checks the million the budget was stated for.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as snapshotCli } from '../../src/cli/snapshot/index.js';
import { writeEtcdDb, type Put } from '../helpers/bolt-writer.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/lifeboat');
const KEYS = Number(process.env.LIFEBOAT_BIG_SNAPSHOT_KEYS ?? 200_000);
/** Peak RSS allowed (MiB): docs/security.md, "Readers bounded". */
const LS_BUDGET = Math.round(128 + (KEYS * 320) / 2 ** 20);
const DIFF_BUDGET = Math.round(160 + (KEYS * 500) / 2 ** 20);
const dir = mkdtempSync(join(tmpdir(), 'lb-big-'));
const [before, after] = [join(dir, 'before.db'), join(dir, 'after.db')];
const key = (i: number) => `/registry/configmaps/ns-${i % 100}/cm-${i}`;
// Every 1000th key changed, every 1000th (offset 1) deleted, a thousand Secrets added.
const changed = (i: number) => i % 1000 === 0;
const deleted = (i: number) => i % 1000 === 1;

function* puts(later: boolean): Generator<Put> {
  for (let i = 0; i < KEYS; i++) yield { key: key(i), value: Buffer.from(`v${i}`) };
  if (!later) return;
  for (let i = 0; i < KEYS; i++) if (changed(i)) yield { key: key(i), value: Buffer.from('changed') };
  for (let i = 0; i < KEYS; i++) if (deleted(i)) yield { key: key(i), value: Buffer.alloc(0), delete: true };
  for (let i = 0; i < KEYS / 1000; i++)
    yield { key: `/registry/secrets/new/s-${i}`, value: Buffer.from('n') };
}

beforeAll(() => {
  writeEtcdDb(before, puts(false));
  writeEtcdDb(after, puts(true));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  code: number | null;
  lines: number;
  head: string[];
  tail: string;
  maxRssMiB: number;
  stderr: string;
}

/** Runs the CLI, counting its output lines as they come (never holding them) and reading its peak RSS. */
function lifeboat(args: string[]): Promise<Seen> {
  const report = `process.on('exit', () => process.stderr.write('maxrss ' + process.resourceUsage().maxRSS + '\\n'))`;
  const child = spawn(
    'node',
    ['--import', `data:text/javascript,${encodeURIComponent(report)}`, BIN, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const seen: Seen = { code: null, lines: 0, head: [], tail: '', maxRssMiB: 0, stderr: '' };
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    const parts = (partial + s).split('\n');
    partial = parts.pop()!;
    seen.lines += parts.length;
    for (const p of parts) if (seen.head.length < 5) seen.head.push(p);
    if (parts.length > 0) seen.tail = parts[parts.length - 1]!;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (seen.stderr += s));
  return new Promise((done) =>
    child.on('close', (code) => {
      seen.code = code;
      seen.maxRssMiB = Number(/maxrss (\d+)/.exec(seen.stderr)?.[1] ?? NaN) / 1024;
      done(seen);
    }),
  );
}

describe('a million keys', () => {
  it(`snapshot ls lists them all within ${LS_BUDGET} MiB`, async () => {
    const r = await lifeboat(['snapshot', 'ls', before]);
    expect(r.stderr).not.toMatch(/error|Error/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toBe(KEYS + 1);
    expect(r.head[0]).toMatch(/^MOD_REV\s+CREATE_REV\s+VERSION\s+KEY$/);
    expect(r.head[1]).toMatch(/^1\s+1\s+1\s+\/registry\/configmaps\/ns-0\/cm-0$/);
    console.log(`snapshot ls of ${KEYS} keys: peak RSS ${r.maxRssMiB.toFixed(0)} MiB`);
    expect(r.maxRssMiB).toBeLessThan(LS_BUDGET);
  });

  it(`snapshot diff of two finds every change within ${DIFF_BUDGET} MiB`, async () => {
    const r = await lifeboat(['snapshot', 'diff', before, after]);
    expect(r.stderr).not.toMatch(/error|Error/);
    expect(r.code, r.stderr).toBe(0);
    const n = KEYS / 1000;
    expect(r.head[0]).toContain(`${n} added, ${n} removed, ${n} changed, ${KEYS - 2 * n} unchanged`);
    expect(r.lines).toBe(1 + 1 + 3 * n + 1); // summary, header, rows, the extract hint
    expect(r.head[2]).toMatch(/^removed\s+configmaps\s+ns-1\s+cm-1$/);
    console.log(`snapshot diff of 2 x ${KEYS} keys: peak RSS ${r.maxRssMiB.toFixed(0)} MiB`);
    expect(r.maxRssMiB).toBeLessThan(DIFF_BUDGET);
  });
});

describe('the streamed output is the same JSON as before', () => {
  async function cli(args: string[]) {
    let stdout = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    try {
      return { code: await snapshotCli(args), stdout };
    } finally {
      o.mockRestore();
    }
  }
  const small = [join(dir, 'small-a.db'), join(dir, 'small-b.db')] as const;
  const k = (i: number) => `/registry/configmaps/team-a/c${i}`;
  beforeAll(() => {
    const first = [0, 1, 2].map((i) => ({ key: k(i), value: Buffer.from(`v${i}`) }));
    writeEtcdDb(small[0], first);
    writeEtcdDb(small[1], [
      ...first,
      { key: k(0), value: Buffer.from('new') },
      { key: k(1), value: Buffer.alloc(0), delete: true },
      { key: k(3), value: Buffer.from('v3') },
    ]);
  });

  it('ls -o json: every live key with its revisions', async () => {
    const r = await cli(['ls', small[1], '-o', 'json']);
    expect(JSON.parse(r.stdout)).toEqual([
      { key: k(0), createRevision: 1, modRevision: 4, version: 2, lease: 0 },
      { key: k(2), createRevision: 3, modRevision: 3, version: 1, lease: 0 },
      { key: k(3), createRevision: 6, modRevision: 6, version: 1, lease: 0 },
    ]);
    expect((await cli(['ls', small[1], '/nothing/', '-o', 'json'])).stdout).toBe('[]\n');
  });

  it('diff -o json: added, removed, changed with their revisions', async () => {
    const r = await cli(['diff', small[0], small[1], '-o', 'json']);
    const obj = (i: number) => ({ key: k(i), resource: 'configmaps', namespace: 'team-a', name: `c${i}` });
    expect(JSON.parse(r.stdout)).toEqual({
      before: { file: small[0], revision: 3 },
      after: { file: small[1], revision: 6 },
      added: [{ ...obj(3), afterModRevision: 6 }],
      removed: [{ ...obj(1), beforeModRevision: 2 }],
      changed: [{ ...obj(0), beforeModRevision: 1, afterModRevision: 4 }],
      unchanged: 1,
    });
  });
});
