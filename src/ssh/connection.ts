// One lazily opened, reused SSH connection per member (through its jump hosts), with a bounded number of channels.
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { LifeboatError } from '../errors/error.js';
import { authMethods } from './auth.js';
import { verifyHostKey, type HostKeyPolicy } from './hostkey.js';
import { hostKeyAlgorithms, knownKeyTypes, knownHostsName, readAllKnownHosts } from './knownhosts.js';
import { hopLabel, type Hop, type Target } from './target.js';

export interface ConnectionOptions extends HostKeyPolicy {
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  maxChannels: number;
  agentSocket: string | undefined;
}

/** A live connection; `lost` is set once it dropped, and watchers hear about it once. */
export interface Session {
  client: Client;
  lost: Error | undefined;
  watchers: Set<(cause: Error) => void>;
}

type Level = { level?: string };

function connectError(hop: Hop, via: string, err: Error & Level, timeoutMs: number): LifeboatError {
  const name = knownHostsName(hop.host, hop.port);
  if (err.level === 'client-authentication') {
    return new LifeboatError('input', `SSH authentication failed for ${hopLabel(hop)}${via}`, {
      host: name,
      cause: err,
      hint: 'check ssh.user and ssh.identityFile in the inventory, or the key loaded in ssh-agent',
    });
  }
  const what = err.level === 'client-timeout' ? `timed out after ${timeoutMs} ms` : err.message;
  return new LifeboatError('unreachable', `cannot connect to ${hopLabel(hop)}${via}: ${what}`, {
    host: name,
    cause: err,
    hint: 'check that the host is up and sshd listens on that address and port (and the jump host, if any)',
  });
}

export class HostConnection {
  private session: Session | undefined;
  private opening: Promise<Session> | undefined;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(
    readonly target: Target,
    private readonly opts: ConnectionOptions,
  ) {}

  get name(): string {
    return knownHostsName(this.target.hop.host, this.target.hop.port);
  }

  /** Runs `fn` holding one channel slot on a connected session; reconnects after a loss. */
  async withSlot<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    if (this.active >= this.opts.maxChannels) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn(await this.connect());
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** The current session, opening it (once, shared by concurrent callers) when needed. */
  async connect(): Promise<Session> {
    if (this.closed) throw new LifeboatError('internal', 'the SSH executor is closed', { host: this.name });
    if (this.session && !this.session.lost) return this.session;
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<Session> {
    const { hop, jumps } = this.target;
    const chain: Client[] = [];
    try {
      let sock: Duplex | undefined;
      const hops = [...jumps, hop];
      for (let i = 0; i < hops.length; i++) {
        const h = hops[i] as Hop;
        const prev = chain[i - 1];
        const via = i > 0 ? ` via jump host ${hopLabel(hops[i - 1] as Hop)}` : '';
        if (prev) sock = await this.forward(prev, hops[i - 1] as Hop, h);
        chain.push(await this.connectHop(h, sock, via, i < hops.length - 1));
      }
    } catch (e) {
      for (const c of chain) c.destroy();
      throw e;
    }
    const client = chain[chain.length - 1] as Client;
    const session: Session = { client, lost: undefined, watchers: new Set() };
    const drop = (cause: Error) => {
      if (session.lost) return;
      session.lost = cause;
      if (this.session === session) this.session = undefined;
      for (const c of chain) c.destroy();
      for (const w of [...session.watchers]) w(cause);
      session.watchers.clear();
    };
    // Any link of the chain going away ends the whole session.
    chain.forEach((c, i) => {
      const label = i === chain.length - 1 ? this.name : `jump host ${hopLabel([...jumps, hop][i] as Hop)}`;
      c.on('error', (err: Error) => drop(new Error(`${label}: ${err.message}`)));
      c.on('end', () => drop(new Error(`${label} closed the connection`)));
      c.on('close', () => drop(new Error(`connection to ${label} closed`)));
    });
    this.session = session;
    return session;
  }

  private forward(jump: Client, jumpHop: Hop, to: Hop): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      jump.forwardOut('127.0.0.1', 0, to.host, to.port, (err, stream) => {
        if (err) {
          reject(
            new LifeboatError(
              'unreachable',
              `jump host ${hopLabel(jumpHop)} cannot reach ${knownHostsName(to.host, to.port)}: ${err.message}`,
              {
                host: knownHostsName(to.host, to.port),
                cause: err,
                hint: 'check the address and port from the jump host, and that its sshd allows TCP forwarding',
              },
            ),
          );
        } else resolve(stream);
      });
    });
  }

  private async connectHop(
    hop: Hop,
    sock: Duplex | undefined,
    via: string,
    isJump: boolean,
  ): Promise<Client> {
    const entries = await readAllKnownHosts(hop.knownHostsFile);
    const methods = await authMethods(hop, this.opts.agentSocket);
    const client = new Client();
    let hostKeyError: LifeboatError | undefined;
    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      verifyHostKey(hop, entries, key, this.opts).then(
        () => verify(true),
        (e: unknown) => {
          hostKeyError =
            e instanceof LifeboatError ? e : new LifeboatError('hostkey', String(e), { host: hop.host });
          verify(false);
        },
      );
    };
    const config: ConnectConfig = {
      host: hop.host,
      port: hop.port,
      username: hop.user,
      readyTimeout: this.opts.connectTimeoutMs,
      keepaliveInterval: this.opts.keepaliveIntervalMs,
      keepaliveCountMax: this.opts.keepaliveCountMax,
      // Ask first for key types known_hosts records, so a known host is checked against its own key type.
      algorithms: {
        serverHostKey: hostKeyAlgorithms(knownKeyTypes(entries, hop.host, hop.port)) as NonNullable<
          ConnectConfig['algorithms']
        >['serverHostKey'],
      },
      authHandler: methods,
      hostVerifier,
      ...(sock === undefined ? {} : { sock }),
    };
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error & Level) => {
        if (settled) return;
        settled = true;
        client.destroy();
        if (hostKeyError) reject(hostKeyError);
        else reject(connectError(hop, via, err, this.opts.connectTimeoutMs));
      };
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        resolve(client);
      });
      client.on('error', fail);
      client.on('close', () =>
        fail(new Error(`connection closed during the handshake${isJump ? ' (jump host)' : ''}`)),
      );
      client.connect(config);
      // Small request/response packets: without this, Nagle plus delayed ACKs adds ~40 ms per command.
      client.setNoDelay(true);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.session ?? (await this.opening?.catch(() => undefined));
    if (s) {
      s.client.end();
      s.client.destroy();
    }
  }
}

/** Opens an exec channel or fails as unreachable (the connection is the only thing that can refuse it here). */
/** Exit statuses seen on a channel from the moment it opened. */
export const earlyExit = new WeakMap<ClientChannel, { code: number | null; signal: string | undefined }>();

/**
 * Opens an exec channel; a refused open (the command never started) is tried again, since sshd frees
 * session slots late.
 */
export function openExec(
  s: Session,
  host: string,
  command: string,
  displayCommand: string,
  attempt = 0,
): Promise<ClientChannel> {
  return new Promise<ClientChannel>((resolve, reject) => {
    if (s.lost) {
      reject(
        new LifeboatError('unreachable', `connection to ${host} lost before a command could start`, {
          host,
          command: displayCommand,
          cause: s.lost,
        }),
      );
      return;
    }
    s.client.exec(command, (err, ch) => {
      if (!err) {
        // The exit status can arrive in the same read as the exec reply, before the caller has listened: keep it.
        ch.on('exit', (code: number | null, signal?: string) => earlyExit.set(ch, { code, signal }));
        return resolve(ch);
      }
      if (
        attempt < 5 &&
        !s.lost &&
        /open failure|CHANNEL_OPEN/i.test(`${err.message} ${(err as { reason?: unknown }).reason ?? ''}`)
      ) {
        setTimeout(
          () => openExec(s, host, command, displayCommand, attempt + 1).then(resolve, reject),
          50 << attempt,
        );
        return;
      }
      reject(
        new LifeboatError('unreachable', `cannot start a command on ${host}: ${err.message}`, {
          host,
          command: displayCommand,
          cause: err,
        }),
      );
    });
  });
}

export function openSftp(s: Session, host: string): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    s.client.sftp((err, sftp) => {
      if (err)
        reject(
          new LifeboatError('unreachable', `cannot open SFTP on ${host}: ${err.message}`, {
            host,
            cause: err,
          }),
        );
      else resolve(sftp);
    });
  });
}
