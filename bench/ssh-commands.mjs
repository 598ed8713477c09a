// Micro benchmark: 200 short commands on one host: SshExecutor vs an `ssh host cmd` loop vs OpenSSH ControlMaster.
// Run after `npx tsc -p .` (uses dist/). Starts its own throwaway sshd on 127.0.84.1 and stops it by pid.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SshExecutor } from '../dist/src/ssh/executor.js';
import { keygen, startSshd } from '../dist/src/ssh/throwaway-sshd.js';

const N = Number(process.env.N ?? 200);
const HOST = '127.0.84.1';
const CMD = 'echo hi';
const run = promisify(execFile);

// A /bin/sh user keeps the remote shell's startup cost out of the numbers (root's .bashrc may be heavy).
const BENCH_USER = 'lifeboat-bench';
let user = 'root';
let createdUser = false;
if (process.getuid?.() === 0) {
  try {
    execFileSync('id', [BENCH_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', BENCH_USER]);
    createdUser = true;
  }
  execFileSync('usermod', ['-p', '*', BENCH_USER]);
  user = BENCH_USER;
}

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-'));
chmodSync(dir, 0o755);
const keyDir = join(dir, 'client');
execFileSync('mkdir', ['-m', '700', keyDir]);
const pub = await keygen(join(keyDir, 'id'), 'ed25519');
const sshd = await startSshd({ host: HOST, authorizedKeys: [pub], extraConfig: ['MaxSessions 20'] });
const kh = join(keyDir, 'known_hosts');
writeFileSync(kh, `${sshd.knownHostsLine()}\n`);

const base = [
  '-F',
  '/dev/null',
  '-i',
  join(keyDir, 'id'),
  '-o',
  `UserKnownHostsFile=${kh}`,
  '-o',
  'BatchMode=yes',
  '-p',
  String(sshd.port),
];
const target = `${user}@${HOST}`;
const cm = [
  '-o',
  'ControlMaster=auto',
  '-o',
  `ControlPath=${join(keyDir, 'cm-%C')}`,
  '-o',
  'ControlPersist=60',
];

async function time(label, fn) {
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  console.log(
    `${label.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms  ${(ms / N).toFixed(2).padStart(7)} ms/cmd`,
  );
  return ms;
}

const results = {};
const x = new SshExecutor(
  {
    cluster: 'bench',
    topology: 'systemd',
    baseDir: keyDir,
    members: [
      {
        name: 'h',
        address: HOST,
        ssh: { user, port: sshd.port, sudo: false, identityFile: 'id', knownHosts: 'known_hosts' },
      },
    ],
  },
  { sshConfigFile: false, agentSocket: false },
);
try {
  console.log(
    `${N} x \`${CMD}\` on ${target}:${sshd.port} (node ${process.version}, ${spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim()})`,
  );
  results.executor = await time('SshExecutor (sequential)', async () => {
    for (let i = 0; i < N; i++) if ((await x.exec('h', CMD)).stdout !== 'hi\n') throw new Error('bad output');
  });
  results.executorPar = await time('SshExecutor (parallel, 8 channels)', async () => {
    await Promise.all(Array.from({ length: N }, () => x.exec('h', CMD)));
  });
  results.loop = await time('ssh host cmd loop', async () => {
    for (let i = 0; i < N; i++) await run('ssh', [...base, target, CMD]);
  });
  results.cm = await time('ssh ControlMaster (ControlPersist)', async () => {
    for (let i = 0; i < N; i++) await run('ssh', [...base, ...cm, target, CMD]);
  });
  console.log(
    `ratios: ssh loop / executor = ${(results.loop / results.executor).toFixed(1)}x, ` +
      `ControlMaster / executor = ${(results.cm / results.executor).toFixed(1)}x, ` +
      `executor sequential / parallel = ${(results.executor / results.executorPar).toFixed(1)}x`,
  );
} finally {
  await x.close();
  await run('ssh', [...base, ...cm, '-O', 'exit', target]).catch(() => undefined);
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
  if (createdUser) execFileSync('userdel', ['-r', BENCH_USER], { stdio: 'ignore' });
}
