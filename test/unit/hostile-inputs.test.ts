// No hang, no stack trace, on any input: FIFOs, folders and devices are refused up front (one line, exit 2, within a
// deadline); EPIPE is a quiet exit; every command's flags and arguments fuzzed with a fixed seed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { LifeboatError } from '../../src/errors/error.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/lifeboat');
const dir = mkdtempSync(join(tmpdir(), 'lb-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);
const folder = join(dir, 'folder');
mkdirSync(folder);
const runDir = join(dir, 'run');
mkdirSync(runDir);
execFileSync('mkfifo', [join(runDir, 'run.json')]);

/** The built CLI with a deadline: a hang fails the test instead of stalling it. */
const cli = (args: string[]) =>
  spawnSync('node', [BIN, ...args], {
    cwd: ROOT,
    timeout: 20_000,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });

describe('FIFOs, folders and devices are refused, never read', () => {
  const cases: Array<[string, string[]]> = [
    ['inventory check FIFO', ['inventory', 'check', fifo]],
    ['inventory check folder', ['inventory', 'check', folder]],
    ['plan -i FIFO', ['plan', 'backup', '-i', fifo]],
    ['snapshot verify FIFO', ['snapshot', 'verify', fifo]],
    ['snapshot inspect /dev/zero', ['snapshot', 'inspect', '/dev/zero']],
    ['snapshot ls folder', ['snapshot', 'ls', folder]],
    ['decode FIFO', ['decode', fifo]],
    ['status with run.json a FIFO', ['status', runDir]],
    ['resume with run.json a FIFO', ['resume', runDir]],
  ];
  it.each(cases)('%s: one line, exit 2, in time', (_name, args) => {
    const r = cli(args);
    expect(r.signal, 'it hung (killed at the deadline)').toBeNull();
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/FIFO|folder|device|not a file/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('EPIPE', () => {
  it('`lifeboat show backup | (reader gone)` exits quietly', () => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${BIN} show backup | head -c0`], {
      cwd: ROOT,
      timeout: 20_000,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

/** mulberry32: a fixed seed gives the same inputs on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  '',
  '-',
  '--',
  '-x',
  '--yes',
  '--set',
  'to=/tmp/x',
  'snapshot=$(touch X)',
  '--output',
  'json',
  'yaml',
  '-i',
  fifo,
  folder,
  '/dev/null',
  '/nonexistent',
  join(dir, 'nope.yaml'),
  '--help',
  '--format',
  'svg',
  'html',
  '--approve',
  'x/y',
  '--run-dir',
  '--expect-head',
  'a'.repeat(64),
  'verify',
  'check',
  'ls',
  'get',
  'list',
  'backup',
  'recover-quorum',
  '\n',
  '\'"`',
  '%s%n',
  '\u0000',
  'é',
  '9'.repeat(40),
  '-o',
  '--since',
  '--identity',
  '--offline',
  '--limit',
  '-1',
  'NaN',
  '--prefix',
  '/registry/',
  '--emit',
  'cronjob',
  '--probe',
  '--quota-bytes',
];
// Labs, servers and the demo have their own tests; commands that reach hosts are fuzzed below against a dead end.
const SKIP = new Set(['lab', 'demo', 'watch', 'discover', 'diagnose', 'run', 'resume']);

describe('CLI fuzz (seed 10)', () => {
  it('every command: a code of 0/1/2/4 or a LifeboatError, never another exception', async () => {
    const next = rng(10);
    const pick = () => WORDS[Math.floor(next() * WORDS.length)]!;
    const quiet = { out: process.stdout.write, err: process.stderr.write };
    const bad: string[] = [];
    let tried = 0;
    process.stdout.write = (() => true) as never;
    process.stderr.write = (() => true) as never;
    try {
      for (const c of COMMANDS.filter((x) => !SKIP.has(x.name))) {
        const mod = await c.load();
        for (let i = 0; i < 60; i++) {
          const argv = Array.from({ length: 1 + Math.floor(next() * 5) }, pick);
          if (argv.includes(fifo) && c.name !== 'inventory' && c.name !== 'snapshot' && c.name !== 'decode')
            continue;
          tried++;
          try {
            const code = await mod.run(argv);
            if (![0, 1, 2, 4].includes(code)) bad.push(`${c.name} ${JSON.stringify(argv)}: exit ${code}`);
          } catch (e) {
            if (!(e instanceof LifeboatError))
              bad.push(`${c.name} ${JSON.stringify(argv)}: ${(e as Error).stack}`);
            else if (e.oneLine().includes('\n') && !/\n/.test(argv.join('')))
              bad.push(`${c.name}: two lines`);
          }
        }
      }
    } finally {
      process.stdout.write = quiet.out;
      process.stderr.write = quiet.err;
    }
    expect(tried).toBeGreaterThan(300);
    expect(bad).toEqual([]);
  }, 300_000);
});

writeFileSync(join(dir, 'nope.yaml'), 'apiVersion: [');

// Host-touching commands with hostile inventories and targets: every host is a port that hangs up at once.
const MARK = join(dir, 'TAINTED');
const KEY = join(dir, 'id_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', KEY]);
const HOSTILE = [
  `$(touch ${MARK})`,
  `\`touch ${MARK}\``,
  `x;touch ${MARK}`,
  `a\nb`,
  '../../etc/x',
  '/../../etc/x/../..',
  '127.0.0.1:22',
  'https://127.0.0.1:2379/$(id)',
  'http://u:p@127.0.0.1:2379',
  "it's",
  '-rf',
  '',
  'x'.repeat(300),
  '\u0000',
];
function inventory(next: () => number, port: number): string {
  const hostile = () => JSON.stringify(HOSTILE[Math.floor(next() * HOSTILE.length)]);
  const field = (good: string) => (next() < 0.06 ? hostile() : JSON.stringify(good));
  const member = (i: number) =>
    `  - { name: ${field(`m${i}`)}, address: ${field(`127.0.0.${i}`)}, peerURL: ${field(`https://127.0.0.${i}:2380`)},` +
    ` clientURL: ${field(`https://127.0.0.${i}:2379`)}, dataDir: ${field('/var/lib/etcd')} }`;
  return [
    'apiVersion: lifeboat/v1',
    `cluster: ${field('fz')}`,
    `topology: ${field(next() < 0.5 ? 'static-pod' : 'systemd')}`,
    `ssh: { port: ${port}, user: ${field('root')}, identityFile: ${JSON.stringify(KEY)} }`,
    'members:',
    member(1),
    member(2),
    member(3),
  ].join('\n');
}

describe('host-touching commands fuzzed against hosts that hang up (seed 11)', () => {
  it('run, diagnose, discover, resume: exit 0-5 or one LifeboatError line; no marker; no stack trace', async () => {
    let connections = 0;
    const server = createServer((c) => (connections++, c.destroy()));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const next = rng(11);
    const runbooks = ['backup', 'recover-quorum', 'replace-member', 'restore-single-master', 'free-space'];
    const bad: string[] = [];
    const quiet = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = (() => true) as never;
    process.stderr.write = (() => true) as never;
    try {
      for (let i = 0; i < 36; i++) {
        const inv = join(dir, `fz-${i}.yaml`);
        writeFileSync(inv, inventory(next, port));
        const rb = runbooks[Math.floor(next() * runbooks.length)]!;
        const word = () => HOSTILE[Math.floor(next() * HOSTILE.length)]!;
        const target = next() < 0.5 ? `root@127.0.0.1:${port}` : `root@${word()}`;
        const argvs: Array<[string, string[]]> = [
          [
            'run',
            [rb, '-i', inv, '--yes', '--run-dir', join(dir, `fz-run-${i}`), '--set', `failed=${word()}`],
          ],
          ['diagnose', ['-i', inv]],
          [
            'discover',
            ['--ssh', target, '--identity', KEY, '--known-hosts', '/dev/null', '-o', join(dir, `d-${i}`)],
          ],
          ['resume', [join(dir, `fz-run-${i}`), '--yes']],
        ];
        for (const [name, argv] of argvs) {
          const mod = await COMMANDS.find((c) => c.name === name)!.load();
          const started = Date.now();
          try {
            const code = await mod.run(argv);
            if (![0, 1, 2, 3, 4, 5].includes(code)) bad.push(`${name} ${JSON.stringify(argv)}: exit ${code}`);
          } catch (e) {
            if (!(e instanceof LifeboatError))
              bad.push(`${name} ${JSON.stringify(argv)}: ${(e as Error).stack}`);
          }
          if (Date.now() - started > 20_000) bad.push(`${name} ${JSON.stringify(argv)}: took over 20 s`);
        }
      }
    } finally {
      process.stdout.write = quiet.out;
      process.stderr.write = quiet.err;
      server.close();
    }
    expect(bad).toEqual([]);
    expect(existsSync(MARK)).toBe(false);
    expect(connections, 'some fuzzed inputs are valid enough to reach a host').toBeGreaterThan(10);
  }, 300_000);
});
