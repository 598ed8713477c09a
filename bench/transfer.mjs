// Case 3: distribute a 1 GiB snapshot-like file to 3 hosts with the sha256 verified on each.
// Lifeboat's SshExecutor (upload to all 3 in parallel, as the restore's distribute step does: SFTP, hashed while it
// streams, sha256sum on the host before the rename) against an operator's sequential `scp` + `ssh sha256sum -c`.
//
//   node bench/transfer.mjs [--size-mb 1024] [--runs 3] [--file PATH]
//
// Run after `npx tsc -p .`. Three throwaway sshd (127.0.85.1-3, stopped by pid) with a /bin/sh user, so no side pays
// a heavy shell start (root's .bashrc runs pyenv here). The baseline gets OpenSSH's defaults (chacha20-poly1305) and
// also `-c aes128-gcm@openssh.com` (what ssh2 negotiates for Lifeboat, and what a careful operator picks for bulk
// copies); the ratio is taken against the FASTER baseline. The local sha256 is not charged to the baseline (an
// operator would take it from the backup manifest); Lifeboat hashes while it streams, inside its time.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { randomFillSync, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { SshExecutor } from '../dist/src/ssh/executor.js';
import { keygen, startSshd } from '../dist/src/ssh/throwaway-sshd.js';
import { fmtS, list, log, median, onCleanup, record, runMain } from './lib/common.mjs';

const { values: v } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    file: { type: 'string' },
  },
});
const sizeMb = Math.min(Math.max(Number(v['size-mb']), 1), 4096);
const runs = Math.min(Math.max(Number(v.runs), 1), 10);
const HOSTS = ['127.0.85.1', '127.0.85.2', '127.0.85.3'];
const run = promisify(execFile);
const BENCH_USER = 'lifeboat-bench';

/** A snapshot-like file: incompressible bytes (SSH does not compress by default, so content does not matter). */
function makeFile(path) {
  if (existsSync(path) && statSync(path).size === sizeMb * 2 ** 20) return;
  log(`writing ${sizeMb} MiB to ${path}`);
  const fd = openSync(`${path}.part`, 'w', 0o600);
  const buf = Buffer.alloc(2 ** 20);
  for (let i = 0; i < sizeMb; i++) writeSync(fd, randomFillSync(buf));
  closeSync(fd);
  renameSync(`${path}.part`, path);
}

const sha256File = (p) =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(p, { highWaterMark: 1 << 20 })
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });

await runMain(async () => {
  const file = v.file ?? join(tmpdir(), `lifeboat-bench-transfer-${sizeMb}m.bin`);
  if (!v.file) makeFile(file);
  const bytes = statSync(file).size;
  const sum = await sha256File(file); // also warms the page cache for every contender

  let user = 'root';
  if (process.getuid?.() === 0) {
    let created = false;
    try {
      execFileSync('id', [BENCH_USER], { stdio: 'ignore' });
    } catch {
      execFileSync('useradd', ['-m', '-s', '/bin/sh', BENCH_USER]);
      created = true;
    }
    execFileSync('usermod', ['-p', '*', BENCH_USER]);
    if (created) onCleanup(() => execFileSync('userdel', ['-r', BENCH_USER], { stdio: 'ignore' }));
    user = BENCH_USER;
  } else log('not root: using the current user (its login shell start is paid by both sides)');

  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-transfer-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const keyDir = join(dir, 'client');
  mkdirSync(keyDir, { mode: 0o700 });
  const pub = await keygen(join(keyDir, 'id'), 'ed25519');
  const kh = join(keyDir, 'known_hosts');
  const sshds = [];
  for (const host of HOSTS) {
    const s = await startSshd({ host, authorizedKeys: [pub] });
    onCleanup(() => s.stop());
    sshds.push(s);
  }
  writeFileSync(kh, sshds.map((s) => s.knownHostsLine()).join('\n') + '\n');
  // One destination folder per "host" (they share this machine's disk), writable by the bench user.
  const dest = HOSTS.map((_, i) => {
    const d = join(dir, `host${i + 1}`);
    mkdirSync(d, { mode: 0o755 });
    if (user !== 'root') execFileSync('chown', [user, d]);
    return d;
  });
  const rm = () => dest.forEach((d) => rmSync(join(d, 'snap.db'), { force: true }));

  const members = HOSTS.map((address, i) => ({
    name: `h${i + 1}`,
    address,
    ssh: { user, port: sshds[i].port, sudo: false, identityFile: 'id', knownHosts: 'known_hosts' },
  }));
  const base = () => [
    '-F',
    '/dev/null',
    '-i',
    join(keyDir, 'id'),
    '-o',
    `UserKnownHostsFile=${kh}`,
    '-o',
    'BatchMode=yes',
  ];
  const target = (i) => `${user}@${HOSTS[i]}`;

  async function lifeboat() {
    // A fresh executor per run: connecting is part of the job, as in a real run.
    const x = new SshExecutor(
      { cluster: 'bench', topology: 'systemd', baseDir: keyDir, members },
      { sshConfigFile: false, agentSocket: false },
    );
    try {
      const t = performance.now();
      const rs = await Promise.all(
        members.map((m, i) => x.upload(m.name, file, join(dest[i], 'snap.db'), { mode: 0o600 })),
      );
      const ms = performance.now() - t;
      if (rs.some((r) => r.sha256 !== sum)) throw new Error('lifeboat upload: sha256 differs');
      return ms;
    } finally {
      await x.close();
    }
  }
  async function baseline(extra) {
    const t = performance.now();
    for (let i = 0; i < HOSTS.length; i++) {
      const remote = join(dest[i], 'snap.db');
      await run('scp', [
        '-q',
        ...base(i),
        ...extra,
        '-P',
        String(sshds[i].port),
        file,
        `${target(i)}:${remote}`,
      ]);
      await run('ssh', [
        ...base(i),
        ...extra,
        '-p',
        String(sshds[i].port),
        target(i),
        `chmod 600 ${remote} && echo '${sum}  ${remote}' | sha256sum -c --status`,
      ]);
    }
    return performance.now() - t;
  }

  const ver = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();
  const cipher =
    spawnSync('ssh', ['-v', ...base(0), '-p', String(sshds[0].port), target(0), 'true'], {
      encoding: 'utf8',
    }).stderr.match(/cipher: (\S+)/)?.[1] ?? '?';
  log(
    `${(bytes / 2 ** 30).toFixed(2)} GiB to ${HOSTS.length} hosts as ${user}; ${ver}; OpenSSH default cipher ${cipher}; ${runs} runs each`,
  );
  const res = { lifeboat: [], scp: [], scpGcm: [] };
  for (let r = 0; r < runs; r++) {
    rm();
    res.lifeboat.push(await lifeboat());
    rm();
    res.scp.push(await baseline([]));
    rm();
    res.scpGcm.push(await baseline(['-c', 'aes128-gcm@openssh.com']));
    log(
      `run ${r + 1}: lifeboat ${fmtS(res.lifeboat.at(-1))}, scp ${fmtS(res.scp.at(-1))}, scp aes128-gcm ${fmtS(res.scpGcm.at(-1))}`,
    );
  }
  rm();
  const L = median(res.lifeboat);
  const S = median(res.scp);
  const G = median(res.scpGcm);
  const B = Math.min(S, G);
  const mbs = (ms) => `${((bytes * HOSTS.length) / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;
  console.log(
    `${(bytes / 2 ** 30).toFixed(2)} GiB x ${HOSTS.length} hosts, sha256 verified on each (${ver})`,
  );
  console.log(`lifeboat executor, 3 in parallel    ${fmtS(L)}  ${mbs(L)}   (runs: ${list(res.lifeboat)})`);
  console.log(
    `scp + ssh sha256sum, sequential     ${fmtS(S)}  ${mbs(S)}   (runs: ${list(res.scp)}; cipher ${cipher})`,
  );
  console.log(`  same, -c aes128-gcm@openssh.com   ${fmtS(G)}  ${mbs(G)}   (runs: ${list(res.scpGcm)})`);
  console.log(`ratio lifeboat/best baseline        ${(L / B).toFixed(2)}   (goal < 1)`);
  record({
    case: 'transfer',
    lifeboatMs: L,
    baselineMs: B,
    scpDefaultMs: S,
    scpGcmMs: G,
    ratio: L / B,
    cipher,
    bytes,
  });
});
