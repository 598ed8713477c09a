// A throwaway OpenSSH server for lab tests and the benchmark: own keys, own port, stopped by pid.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface Sshd {
  host: string;
  port: number;
  pid: number;
  dir: string;
  /** `type base64` of each host key. */
  hostKeys: Record<string, string>;
  /** The known_hosts line for this server (first host key). */
  knownHostsLine(): string;
  /** Every process below the listener: the per-connection sshd processes and what they run. */
  descendants(): number[];
  stop(): Promise<void>;
}

export async function keygen(file: string, type: KeyType, comment = 'lifeboat-test'): Promise<string> {
  await run('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    '-N',
    '',
    '-C',
    comment,
    '-f',
    file,
  ]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once the server sends its SSH banner; rejects if the process exits or the deadline passes. */
async function waitBanner(host: string, port: number, proc: ChildProcess, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`sshd exited (${proc.exitCode ?? proc.signalCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.once('data', (d) => done(d.toString().startsWith('SSH-')));
      s.once('error', () => done(false));
      s.setTimeout(1000, () => done(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`sshd on ${host}:${port} not ready after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may itself contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

export function descendantsOf(pid: number): number[] {
  const kids = childrenOf(pid);
  return [...kids, ...kids.flatMap((k) => descendantsOf(k))];
}

export interface SshdOptions {
  host: string;
  authorizedKeys: string[];
  hostKeyTypes?: KeyType[];
  /** Reuse these host key files (`type` → private key path) instead of generating new ones. */
  hostKeyFiles?: string[];
  extraConfig?: string[];
}

export async function startSshd(o: SshdOptions): Promise<Sshd> {
  // World-readable folder: sshd reads AuthorizedKeysFile as the (possibly non-root) user.
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sshd-'));
  chmodSync(dir, 0o755);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKeys: Record<string, string> = {};
  const keyFiles: string[] = o.hostKeyFiles ?? [];
  if (keyFiles.length === 0) {
    for (const t of o.hostKeyTypes ?? ['ed25519']) {
      const f = join(dir, `host_${t}`);
      await keygen(f, t, 'host');
      keyFiles.push(f);
    }
  }
  for (const f of keyFiles) {
    const [type, b64] = readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/) as [string, string];
    hostKeys[type] = `${type} ${b64}`;
  }
  writeFileSync(join(dir, 'authorized_keys'), o.authorizedKeys.join('\n') + '\n', { mode: 0o644 });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort(o.host);
    const cfg = [
      `ListenAddress ${o.host}:${port}`,
      ...keyFiles.map((f) => `HostKey ${f}`),
      `PidFile none`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      ...(o.extraConfig ?? []),
    ];
    const cfgFile = join(dir, 'sshd_config');
    writeFileSync(cfgFile, cfg.join('\n') + '\n');
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfgFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    try {
      await waitBanner(o.host, port, proc, 10_000);
    } catch (e) {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      if (attempt < 3 && /Address already in use/.test(log)) continue; // lost the port race: pick another
      throw new Error(`${(e as Error).message}: ${log.trim()}`);
    }
    const pid = proc.pid as number;
    const exited = new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
    return {
      host: o.host,
      port,
      pid,
      dir,
      hostKeys,
      knownHostsLine: () => `[${o.host}]:${port} ${Object.values(hostKeys)[0]}`,
      descendants: () => descendantsOf(pid),
      async stop() {
        // Connections live in children of the listener; end them too, by pid.
        for (const p of descendantsOf(pid)) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        if (proc.exitCode === null) proc.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
