// Real sshd tests for the SSH executor: throwaway servers on 127.0.83.x, random ports, stopped by pid.
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../src/errors/error.js';
import type { Inventory, ResolvedMember } from '../../src/inventory/resolve.js';
import { SshExecutor, type SshExecutorOptions } from '../../src/ssh/executor.js';
import { fingerprint } from '../../src/ssh/knownhosts.js';
import { keygen, startSshd, type Sshd } from '../../src/ssh/throwaway-sshd.js';

const HOST = '127.0.83.1';
const JUMP = '127.0.83.2';
const SUDO_USER = 'lifeboat-ssh-sudo';
const NOPW_USER = 'lifeboat-ssh-nopw';
const SUDOERS = '/etc/sudoers.d/lifeboat-ssh-test';

let dir: string;
let sshd: Sshd;
let jump: Sshd;
let inventory: Inventory;
const executors: SshExecutor[] = [];

function member(name: string, ssh: Partial<ResolvedMember['ssh']>, address = HOST): ResolvedMember {
  return {
    name,
    address,
    peerURL: `https://${address}:2380`,
    clientURL: `https://${address}:2379`,
    ssh: {
      user: 'root',
      port: sshd.port,
      sudo: false,
      identityFile: 'id_ed25519',
      knownHosts: 'known_hosts',
      ...ssh,
    },
    dataDir: '/var/lib/etcd',
    manifest: '',
    apiserverManifest: '',
    config: '',
    backupDir: '/backup',
    tls: { ca: '', cert: '', key: '' },
    tools: {},
  };
}

function executor(opts: SshExecutorOptions = {}, inv: Inventory = inventory): SshExecutor {
  const x = new SshExecutor(inv, {
    sshConfigFile: false,
    agentSocket: false,
    connectTimeoutMs: 5000,
    ...opts,
  });
  executors.push(x);
  return x;
}

function ensureUser(name: string): void {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', name]);
  }
  // '*' (not the locked '!'): sshd without PAM refuses locked accounts even for key logins.
  execFileSync('usermod', ['-p', '*', name]);
}

async function rejection(p: Promise<unknown>): Promise<LifeboatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LifeboatError);
    return e as LifeboatError;
  }
  throw new Error('expected a rejection');
}

/** Polls a condition until a deadline: for process state the kernel updates asynchronously. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // gone already
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-ssh-lab-'));
  chmodSync(dir, 0o755); // the non-root test users work in folders below it
  const pub = await keygen(join(dir, 'id_ed25519'), 'ed25519');
  const rsaPub = await keygen(join(dir, 'id_rsa'), 'rsa');
  execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', 'secret-pass', '-f', join(dir, 'id_locked')]);
  sshd = await startSshd({
    host: HOST,
    authorizedKeys: [pub, rsaPub],
    hostKeyTypes: ['ed25519', 'ecdsa', 'rsa'],
  });
  jump = await startSshd({ host: JUMP, authorizedKeys: [pub, rsaPub], hostKeyTypes: ['ecdsa'] });
  writeFileSync(join(dir, 'known_hosts'), `${sshd.knownHostsLine()}\n${jump.knownHostsLine()}\n`);
  ensureUser(SUDO_USER);
  ensureUser(NOPW_USER);
  writeFileSync(SUDOERS, `${SUDO_USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  inventory = {
    cluster: 'lab',
    topology: 'systemd',
    baseDir: dir,
    members: [
      member('a', {}),
      member('rsa', { identityFile: 'id_rsa' }),
      member('hop', { jump: `root@${JUMP}:${jump.port}` }),
      member('sudo', { user: SUDO_USER, sudo: true }),
      member('nopw', { user: NOPW_USER, sudo: true }),
      member('plain', { user: NOPW_USER }),
      member('locked', { identityFile: 'id_locked' }),
      member('nokey', { identityFile: 'missing_key' }),
      member('denied', { user: NOPW_USER, identityFile: 'id_rsa' }),
    ],
  };
  // Make the denied member really denied: its user gets no authorized key for id_rsa.
  writeFileSync(join(sshd.dir, 'authorized_keys'), `${pub}\n`);
  inventory.members.find((m) => m.name === 'rsa')!.ssh.identityFile = 'id_ed25519';
});

afterAll(async () => {
  await Promise.all(executors.map((x) => x.close()));
  await sshd?.stop();
  await jump?.stop();
  rmSync(SUDOERS, { force: true });
  for (const u of [SUDO_USER, NOPW_USER]) {
    try {
      execFileSync('userdel', ['-r', u], { stdio: 'ignore' });
    } catch {
      // not created
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SshExecutor on a real sshd', () => {
  it('runs commands: exit codes, stdout, stderr, stdin, streaming output', async () => {
    const x = executor();
    const r = await x.exec('a', `echo "out $((6*7))"; echo 'it'"'"'s err' >&2; exit 3`);
    expect(r).toMatchObject({
      exitCode: 3,
      signal: null,
      stdout: 'out 42\n',
      stderr: "it's err\n",
      timedOut: false,
    });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    const chunks: string[] = [];
    const s = await x.exec('a', 'tr a-z A-Z; echo done >&2', {
      stdin: 'hello\n',
      onData: (st, c) => chunks.push(`${st}:${c}`),
    });
    expect(s).toMatchObject({ exitCode: 0, stdout: 'HELLO\n', stderr: 'done\n' });
    expect(chunks.join('')).toContain('stdout:HELLO');
    expect(chunks.join('')).not.toContain('LIFEBOAT-PID');
    const k = await x.exec('a', 'kill -TERM $$');
    expect(k).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(await x.probe('a')).toEqual({ ok: true });
  });

  it('runs 50 commands in parallel over one connection, at most 8 channels at a time', async () => {
    const x = executor({ maxChannelsPerHost: 8 });
    const runDir = join(dir, 'par');
    mkdirSync(runDir);
    chmodSync(runDir, 0o777);
    // A plain /bin/sh user: root's login shell here sources a heavy .bashrc, which would only measure that.
    const cmd = `f=${runDir}/$$; touch $f; sleep 0.15; n=$(ls ${runDir} | wc -l); rm $f; echo "$n $PPID"`;
    const results = await Promise.all(Array.from({ length: 50 }, () => x.exec('plain', cmd)));
    expect(results.every((r) => r.exitCode === 0)).toBe(true);
    const counts = results.map((r) => Number(r.stdout.split(' ')[0]));
    const parents = new Set(results.map((r) => r.stdout.trim().split(' ')[1]));
    expect(Math.max(...counts)).toBeLessThanOrEqual(8);
    expect(Math.max(...counts)).toBeGreaterThan(1);
    expect(parents.size).toBe(1); // every channel's shell has the same sshd session process as parent
  });

  it('ends a timed-out command and its children, and reports it', async () => {
    const x = executor();
    for (const m of ['a', 'sudo']) {
      const started = Date.now();
      // 4 s leaves a loaded machine time to start sudo and the child before the timeout (at 0.7 s it once fired first).
      const r = await x.exec(m, 'echo $$; sleep 30 & echo $!; wait', { timeoutMs: 4000 });
      expect(r.timedOut).toBe(true);
      expect(Date.now() - started).toBeLessThan(20_000);
      const pids = r.stdout.trim().split('\n').map(Number);
      expect(pids).toHaveLength(2);
      await until(() => pids.every((p) => !alive(p)), 5000, `${m}: processes ${pids.join(',')} to end`);
      expect((await x.exec(m, 'echo still usable')).stdout).toBe('still usable\n');
    }
  });

  it('reports a connection cut mid-command as unreachable, then reconnects', async () => {
    const x = executor();
    expect((await x.exec('a', 'true')).exitCode).toBe(0);
    let started!: () => void;
    const seen = new Promise<void>((r) => (started = r));
    const running = x.exec('a', 'echo started; sleep 20', { onData: () => started() });
    await seen;
    signalAll(sshd.descendants(), 'SIGKILL');
    const e = await rejection(running);
    expect(e.code).toBe('unreachable');
    expect(e.host).toBe(`[${HOST}]:${sshd.port}`);
    expect(e.command).toBe('echo started; sleep 20');
    expect((await x.exec('a', 'echo back')).stdout).toBe('back\n');
  });

  it('detects a half-open connection by keepalive', async () => {
    const x = executor({ keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    let started!: () => void;
    const seen = new Promise<void>((r) => (started = r));
    const running = x.exec('a', 'echo started; sleep 20', { onData: () => started() });
    await seen;
    // Freeze the server side: the TCP connection stays open but nothing answers.
    const frozen = sshd.descendants();
    signalAll(frozen, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const e = await rejection(running);
      expect(e.code).toBe('unreachable');
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      signalAll(frozen, 'SIGKILL');
      signalAll(frozen, 'SIGCONT');
    }
    expect((await x.exec('a', 'echo back')).stdout).toBe('back\n');
  });

  it('refuses an unknown host key with its fingerprint', async () => {
    const kh = join(dir, 'empty_known_hosts');
    writeFileSync(kh, '');
    const x = executor({}, { ...inventory, members: [member('a', { knownHosts: kh })] });
    const r = await x.probe('a');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('hostkey');
    expect(r.error.message).toBe(`host key for [${HOST}]:${sshd.port} is not in ${kh}`);
    const fp = fingerprint(
      Buffer.from((sshd.hostKeys['ssh-ed25519'] as string).split(' ')[1] as string, 'base64'),
    );
    expect(r.error.hint).toBe(
      `verify the fingerprint ${fp} out of band, then add it or re-run with --accept-new-host-keys`,
    );
  });

  it('refuses a changed host key, even with accept-new', async () => {
    const other = await keygen(join(dir, 'impostor'), 'ed25519');
    const kh = join(dir, 'changed_known_hosts');
    const content = `[${HOST}]:${sshd.port} ${other.split(' ').slice(0, 2).join(' ')}\n`;
    writeFileSync(kh, content);
    const accepted: string[] = [];
    const x = executor(
      { acceptNewHostKeys: true, onHostKeyAccepted: (h) => accepted.push(h) },
      { ...inventory, members: [member('a', { knownHosts: kh })] },
    );
    const e = await rejection(x.exec('a', 'touch /tmp/never'));
    expect(e.code).toBe('hostkey');
    expect(e.message).toMatch(/has changed/);
    expect(e.hint).toMatch(/never overrides a changed key/);
    expect(readFileSync(kh, 'utf8')).toBe(content);
    expect(accepted).toEqual([]);
  });

  it('accepts a new host key on first contact when asked, records it and reports it', async () => {
    const kh = join(dir, 'new', 'known_hosts');
    const accepted: Array<[string, string]> = [];
    const inv = { ...inventory, members: [member('a', { knownHosts: kh })] };
    const x = executor(
      { acceptNewHostKeys: true, onHostKeyAccepted: (h, fp) => accepted.push([h, fp]) },
      inv,
    );
    expect(await x.probe('a')).toEqual({ ok: true });
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.[0]).toBe(`[${HOST}]:${sshd.port}`);
    expect(accepted[0]?.[1]).toMatch(/^SHA256:/);
    expect(readFileSync(kh, 'utf8')).toMatch(
      new RegExp(`^\\[${HOST.replace(/\./g, '\\.')}\\]:${sshd.port} ssh-ed25519 `),
    );
    // Now known: a verifying executor connects, and nothing is appended again.
    expect(await executor({}, inv).probe('a')).toEqual({ ok: true });
    expect(readFileSync(kh, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('verifies against hashed known_hosts entries', async () => {
    const kh = join(dir, 'hashed_known_hosts');
    writeFileSync(kh, `${sshd.knownHostsLine()}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', kh], { stdio: 'pipe' });
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|/);
    const x = executor({}, { ...inventory, members: [member('a', { knownHosts: kh })] });
    expect((await x.exec('a', 'echo hashed')).stdout).toBe('hashed\n');
  });

  it('uploads and downloads ~50 MiB with sha256 checked on both sides', async () => {
    const local = join(dir, 'big.bin');
    const fd = openSync(local, 'w');
    const h = createHash('sha256');
    for (let i = 0; i < 50; i++) {
      const b = randomBytes(1 << 20);
      h.update(b);
      writeSync(fd, b);
    }
    writeSync(fd, Buffer.from('tail')); // not a multiple of any chunk size
    h.update('tail');
    closeSync(fd);
    const sha = h.digest('hex');
    const x = executor();
    const remoteDir = join(dir, 'remote');
    mkdirSync(remoteDir);
    const up = await x.upload('a', local, join(remoteDir, 'snap.db'), { mode: 0o640 });
    expect(up).toEqual({ bytes: 50 * (1 << 20) + 4, sha256: sha });
    expect(statSync(join(remoteDir, 'snap.db')).mode & 0o777).toBe(0o640);
    expect(existsSync(join(remoteDir, 'snap.db.part'))).toBe(false);
    const back = join(dir, 'back', 'snap.db');
    expect(await x.download('a', join(remoteDir, 'snap.db'), back)).toEqual({ bytes: up.bytes, sha256: sha });
    expect(existsSync(`${back}.part`)).toBe(false);

    // Through sudo: a root-only folder the login user cannot touch.
    const rootOnly = join(dir, 'root-only');
    mkdirSync(rootOnly, { mode: 0o700 });
    const sup = await x.upload('sudo', local, join(rootOnly, 'snap.db'));
    expect(sup.sha256).toBe(sha);
    const st = statSync(join(rootOnly, 'snap.db'));
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
    expect((await x.download('sudo', join(rootOnly, 'snap.db'), join(dir, 'back2'))).sha256).toBe(sha);

    const missing = await rejection(x.download('a', join(remoteDir, 'nope'), join(dir, 'nope')));
    expect(missing.code).toBe('step');
    expect(existsSync(join(dir, 'nope.part'))).toBe(false);
  });

  it('connects through a jump host, verifying both host keys', async () => {
    const x = executor();
    const before = jump.descendants().length;
    expect((await x.exec('hop', 'echo via jump')).stdout).toBe('via jump\n');
    expect(jump.descendants().length).toBeGreaterThan(before);
    // The jump host's key is checked too: without its entry the connection is refused, naming the jump.
    const kh = join(dir, 'only_target_known_hosts');
    writeFileSync(kh, `${sshd.knownHostsLine()}\n`);
    const y = executor(
      {},
      { ...inventory, members: [member('hop', { jump: `root@${JUMP}:${jump.port}`, knownHosts: kh })] },
    );
    const e = await rejection(y.exec('hop', 'true'));
    expect(e.code).toBe('hostkey');
    expect(e.message).toContain(`[${JUMP}]:${jump.port}`);
  });

  it('runs through sudo -n as root, and explains a sudo that wants a password', async () => {
    const x = executor();
    const r = await x.exec('sudo', `id -u; printf '%s\\n' "it's \\"quoted\\" $HOME"; whoami >&2`);
    expect(r).toMatchObject({ exitCode: 0, stdout: `0\nit's "quoted" /root\n`, stderr: 'root\n' });
    expect(await x.probe('sudo')).toEqual({ ok: true });
    const e = await rejection(x.exec('nopw', 'id -u'));
    expect(e.code).toBe('environment');
    expect(e.message).toMatch(/sudo -n refused/);
    expect(e.hint).toMatch(/passwordless sudo/);
    const p = await x.probe('nopw');
    expect(p.ok ? '' : p.error.code).toBe('environment');
  });

  it('fails clearly: unreachable host, passphrase key, missing key, refused key', async () => {
    const closed = executor({}, { ...inventory, members: [member('a', { port: 1 })] });
    const u = await closed.probe('a');
    expect(u.ok ? '' : u.error.code).toBe('unreachable');
    const x = executor();
    const locked = await rejection(x.exec('locked', 'true'));
    expect([locked.code, locked.message, locked.hint]).toEqual([
      'input',
      expect.stringMatching(/passphrase-protected/),
      expect.stringMatching(/ssh-agent/),
    ]);
    expect((await rejection(x.exec('nokey', 'true'))).message).toMatch(/does not exist/);
    const denied = await rejection(x.exec('denied', 'true'));
    expect([denied.code, denied.message]).toEqual(['input', expect.stringMatching(/authentication failed/)]);
    expect((await rejection(x.exec('ghost', 'true'))).code).toBe('input');
  });

  it('times out connecting to a server that never speaks SSH', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, HOST, r));
    try {
      const port = (silent.address() as { port: number }).port;
      const x = executor({ connectTimeoutMs: 400 }, { ...inventory, members: [member('a', { port })] });
      const t0 = Date.now();
      const r = await x.probe('a');
      expect(r.ok ? '' : r.error.message).toMatch(/timed out after 400 ms/);
      expect(r.ok ? '' : r.error.code).toBe('unreachable');
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      silent.close();
    }
  });

  it('authenticates through ssh-agent, also when the identity file is passphrase-protected', async () => {
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await until(() => existsSync(sock), 5000, 'ssh-agent socket');
      execFileSync('ssh-add', ['-q', join(dir, 'id_ed25519')], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
        stdio: 'ignore',
      });
      const viaAgent = member('viaagent', {});
      delete viaAgent.ssh.identityFile;
      const inv = { ...inventory, members: [viaAgent, member('locked', { identityFile: 'id_locked' })] };
      const x = executor({ agentSocket: sock }, inv);
      expect((await x.exec('viaagent', 'echo agent')).stdout).toBe('agent\n');
      expect((await x.exec('locked', 'echo agent2')).stdout).toBe('agent2\n');
    } finally {
      agent.kill('SIGTERM');
    }
  });
});
