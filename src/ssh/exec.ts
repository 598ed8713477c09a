// Runs one command on a session: output capture, stdin, timeout that kills the remote process group, loss detection.
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import type { ExecOptions, ExecResult } from '../shell/executor.js';
import { LifeboatError } from '../errors/error.js';
import { earlyExit, openExec, type Session } from './connection.js';
import { wrapCommand } from './quote.js';

const MARK = 'LIFEBOAT-PID:';
const MARK_RE = /(^|\n)LIFEBOAT-PID:(\d+)\n/;
/** Grace between TERM and KILL of a timed-out command's process group. */
const KILL_GRACE_TENTHS = 20;

/**
 * The remote command line: the login shell reports its pid (sshd made it a session and process-group leader)
 * on stderr, then execs POSIX sh (through sudo -n when asked), so a timeout can end the whole process group.
 */
export function remoteCommandLine(command: string, sudo: boolean): string {
  return `printf '${MARK}%s\\n' "$$" >&2; exec ${wrapCommand(command, sudo)}`;
}

/** Ends a process group: TERM, a short grace, then KILL; through sudo when the command ran as root. */
export function killGroupCommand(pid: number, sudo: boolean): string {
  // No `--`: dash's kill builtin rejects it, and `-N` after the signal already means a process group.
  const g = `-${pid}`;
  const script =
    `kill -TERM ${g} 2>/dev/null || exit 0; i=0; ` +
    `while [ $i -lt ${KILL_GRACE_TENTHS} ] && kill -0 ${g} 2>/dev/null; do sleep 0.1; i=$((i+1)); done; ` +
    `kill -KILL ${g} 2>/dev/null; exit 0`;
  return wrapCommand(script, sudo);
}

export interface RunMeta {
  host: string;
  sudo: boolean;
}

/** Takes the login shell's pid marker out of a command's stderr; everything else goes on to `emit`. */
class PidMarker {
  pid: number | undefined;
  private head = ''; // stderr until the marker has been seen and removed
  private done = false;
  constructor(private readonly emit: (chunk: Buffer) => void) {}

  write(chunk: Buffer): void {
    if (this.done) return this.emit(chunk);
    this.head += chunk.toString('latin1');
    const m = MARK_RE.exec(this.head);
    if (m) {
      this.pid = Number(m[2]);
      this.done = true;
      const rest = this.head.slice(0, m.index + (m[1] ?? '').length) + this.head.slice(m.index + m[0].length);
      this.head = '';
      if (rest !== '') this.emit(Buffer.from(rest, 'latin1'));
    } else if (this.head.length > 65536 && !this.head.includes(MARK)) {
      // The login shell printed a lot before our marker: stop looking, pass it through.
      this.done = true;
      const held = Buffer.from(this.head, 'latin1');
      this.head = '';
      this.emit(held);
    }
  }

  /** What is still held back when the command ends without a marker. */
  rest(): Buffer | undefined {
    return this.head === '' ? undefined : Buffer.from(this.head, 'latin1');
  }
}

/** A timed-out command: its process group is killed, and past the kill's grace the channel is closed regardless. */
function stopTimedOut(s: Session, meta: RunMeta, ch: ClientChannel, pid: number | undefined): NodeJS.Timeout {
  const closeNow = () => {
    try {
      ch.close();
    } catch {
      // already closed
    }
  };
  const grace = setTimeout(closeNow, KILL_GRACE_TENTHS * 100 + 5000);
  if (pid === undefined) {
    ch.signal('KILL');
    closeNow();
    return grace;
  }
  openExec(s, meta.host, killGroupCommand(pid, meta.sudo), 'kill timed-out command').then((k) => {
    k.on('close', closeNow);
    k.on('error', () => undefined);
    k.resume();
    k.stderr.resume();
    k.end();
  }, closeNow);
  return grace;
}

const lostWhileRunning = (meta: RunMeta, command: string, cause: Error) =>
  new LifeboatError('unreachable', `connection to ${meta.host} lost while a command was running`, {
    host: meta.host,
    command,
    cause,
    hint: 'the command may or may not have completed on the host: check it, then resume',
  });

export function runCommand(
  s: Session,
  command: string,
  opts: ExecOptions,
  meta: RunMeta,
): Promise<ExecResult> {
  const started = performance.now();
  // Handlers go on in the same reaction that gets the channel: with `await` in between, the lab showed lost output.
  return openExec(s, meta.host, remoteCommandLine(command, meta.sudo), command).then(
    (ch) =>
      new Promise<ExecResult>((resolve, reject) => {
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const dOut = new StringDecoder('utf8');
        const dErr = new StringDecoder('utf8');
        let exitCode: number | null = null;
        let signal: string | null = null;
        let sawExit = false;
        let timedOut = false;
        let settled = false;
        let timer: NodeJS.Timeout | undefined;
        let graceTimer: NodeJS.Timeout | undefined;

        const finish = (fn: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          clearTimeout(graceTimer);
          s.watchers.delete(onLost);
          fn();
        };
        const onLost = (cause: Error) => finish(() => reject(lostWhileRunning(meta, command, cause)));
        s.watchers.add(onLost);

        ch.on('data', (chunk: Buffer) => {
          out.push(chunk);
          const text = dOut.write(chunk);
          if (text !== '') opts.onData?.('stdout', text);
        });
        const marker = new PidMarker((chunk) => {
          const text = dErr.write(chunk);
          err.push(chunk);
          if (text !== '') opts.onData?.('stderr', text);
        });
        ch.stderr.on('data', (chunk: Buffer) => marker.write(chunk));
        const onExit = (code: number | null, sig?: string) => {
          sawExit = true;
          exitCode = typeof code === 'number' ? code : null;
          signal = sig ?? null;
        };
        const early = earlyExit.get(ch);
        if (early) onExit(early.code, early.signal);
        ch.on('exit', onExit);
        const closed = () => {
          if (!sawExit && !timedOut && !s.lost) {
            // ssh2 closes a dropped connection's channels before it reports the drop: give the drop a moment to show.
            setTimeout(closedAfterDrop, 200);
            return;
          }
          closedAfterDrop();
        };
        const closedAfterDrop = () => {
          if (!sawExit && !timedOut && s.lost) {
            onLost(s.lost);
            return;
          }
          finish(() => {
            const held = marker.rest();
            if (held) err.push(held);
            resolve({
              exitCode,
              signal,
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(err).toString('utf8'),
              durationMs: Math.round(performance.now() - started),
              timedOut,
            });
          });
        };
        ch.on('close', closed);
        ch.on('error', () => undefined);

        if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
          timer = setTimeout(() => {
            timedOut = true;
            graceTimer = stopTimedOut(s, meta, ch, marker.pid);
          }, opts.timeoutMs);
        }

        if (opts.stdin !== undefined) ch.end(opts.stdin);
        else ch.end();
      }),
  );
}
