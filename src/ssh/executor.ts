// SshExecutor: the Executor contract over ssh2, one reused connection per member.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ExecOptions, ExecResult, Executor, TransferResult } from '../shell/executor.js';
import type { Inventory } from '../inventory/resolve.js';
import { LifeboatError } from '../errors/error.js';
import { loadSshConfig, type SshConfigBlock } from './config.js';
import { HostConnection } from './connection.js';
import { runCommand } from './exec.js';
import { isSudoRefusal } from './quote.js';
import { resolveTarget } from './target.js';
import { download, upload } from './transfer.js';

export interface SshExecutorOptions {
  /** First contact only: record an unknown host key in known_hosts. A changed key is always refused. */
  acceptNewHostKeys?: boolean;
  /**
   * known_hosts for members whose inventory names none; default ~/.ssh/known_hosts (or the config's
   * UserKnownHostsFile).
   */
  knownHostsFile?: string;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost. */
  keepaliveCountMax?: number;
  /** Concurrent channels per host; more commands wait in a queue. Keep below sshd's MaxSessions (10). */
  maxChannelsPerHost?: number;
  /** Called after a new host key was recorded, so the engine can audit it. */
  onHostKeyAccepted?: (host: string, fingerprint: string) => void;
  /** OpenSSH client config to read; default ~/.ssh/config; `false` reads none. */
  sshConfigFile?: string | false;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; `false` disables the agent. */
  agentSocket?: string | false;
}

export type ProbeResult = { ok: true } | { ok: false; error: LifeboatError };

export class SshExecutor implements Executor {
  private readonly conns = new Map<string, HostConnection>();
  private config: Promise<SshConfigBlock[]> | undefined;
  private closed = false;

  constructor(
    private readonly inventory: Inventory,
    private readonly options: SshExecutorOptions = {},
  ) {}

  private async connection(member: string): Promise<HostConnection> {
    if (this.closed) throw new LifeboatError('internal', 'the SSH executor is closed');
    const have = this.conns.get(member);
    if (have) return have;
    const m = this.inventory.members.find((x) => x.name === member);
    if (!m)
      throw new LifeboatError(
        'input',
        `no member named ${member} in the inventory of ${this.inventory.cluster}`,
      );
    const file = this.options.sshConfigFile ?? join(homedir(), '.ssh', 'config');
    this.config ??=
      file === false
        ? Promise.resolve([])
        : loadSshConfig(file).catch((e: unknown) => {
            throw new LifeboatError('input', `cannot read SSH config ${file}: ${(e as Error).message}`, {
              cause: e,
            });
          });
    const target = resolveTarget(m, await this.config, {
      baseDir: this.inventory.baseDir,
      knownHostsFile: this.options.knownHostsFile,
    });
    // Another caller may have created it while the config was loading.
    const again = this.conns.get(member);
    if (again) return again;
    const o = this.options;
    const agent = o.agentSocket === false ? undefined : (o.agentSocket ?? process.env.SSH_AUTH_SOCK);
    const conn = new HostConnection(target, {
      acceptNew: o.acceptNewHostKeys ?? false,
      onAccepted: o.onHostKeyAccepted,
      connectTimeoutMs: o.connectTimeoutMs ?? 15_000,
      keepaliveIntervalMs: o.keepaliveIntervalMs ?? 5_000,
      keepaliveCountMax: o.keepaliveCountMax ?? 3,
      maxChannels: Math.max(1, o.maxChannelsPerHost ?? 8),
      agentSocket: agent === '' ? undefined : agent,
    });
    this.conns.set(member, conn);
    return conn;
  }

  async exec(member: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const conn = await this.connection(member);
    const { sudo, hop } = conn.target;
    const r = await conn.withSlot((s) => runCommand(s, command, opts, { host: conn.name, sudo }));
    if (sudo && r.exitCode === 1 && isSudoRefusal(r.stderr)) {
      throw new LifeboatError(
        'environment',
        `sudo -n refused on ${conn.name} for user ${hop.user}: ${r.stderr.trim().split('\n')[0] ?? ''}`,
        {
          host: conn.name,
          command,
          hint:
            `give ${hop.user} passwordless sudo (NOPASSWD in /etc/sudoers.d), or connect as root ` +
            `(ssh.user: root, ssh.sudo: false)`,
        },
      );
    }
    return r;
  }

  async upload(
    member: string,
    localPath: string,
    remotePath: string,
    opts: { mode?: number } = {},
  ): Promise<TransferResult> {
    // Default 0600: uploads are snapshots and certificates, which hold secrets.
    return upload(await this.connection(member), localPath, remotePath, opts.mode ?? 0o600);
  }

  async download(member: string, remotePath: string, localPath: string): Promise<TransferResult> {
    return download(await this.connection(member), remotePath, localPath);
  }

  /** Connects and runs `true` (through sudo -n when configured): refuse early on unreachable hosts or bad keys. */
  async probe(member: string): Promise<ProbeResult> {
    try {
      const r = await this.exec(member, 'true', {
        timeoutMs: (this.options.connectTimeoutMs ?? 15_000) + 5_000,
      });
      if (r.exitCode === 0) return { ok: true };
      return {
        ok: false,
        error: new LifeboatError(
          'unreachable',
          `probe on ${member} failed: \`true\` exited ${r.exitCode ?? r.signal}` +
            `${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim()}`,
          { host: member },
        ),
      };
    } catch (e) {
      if (e instanceof LifeboatError) return { ok: false, error: e };
      return {
        ok: false,
        error: new LifeboatError('unreachable', `probe on ${member} failed: ${String(e)}`, {
          host: member,
          cause: e,
        }),
      };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.conns.values()].map((c) => c.close()));
    this.conns.clear();
  }
}
