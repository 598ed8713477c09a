// The engine's ports: what it needs from the outside world (hosts, time, the operator, whoever logs its events).
// src/ssh and the test fakes implement the Executor; src/cli the Prompter; src/render the Listeners.
import type { RunEvent } from './events.js';
import type { Plan, PlannedStep } from './plan.js';

// --- Executor: the engine runs commands and moves files on members through this, never through ssh2 directly.

export interface ExecOptions {
  /** Ends the command (and reports it) when it runs longer. */
  timeoutMs?: number;
  /** Written to the command's stdin, then closed. */
  stdin?: string | Buffer;
  /** Values to mask wherever this command or its output is logged. */
  secrets?: string[];
  /** Called with output as it arrives (for progress renderers). */
  onData?: (stream: 'stdout' | 'stderr', chunk: string) => void;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface TransferResult {
  bytes: number;
  sha256: string;
}

export interface Executor {
  /** Runs a shell command on a member (by member name), through `sudo -n` when the member's ssh says so. */
  exec(member: string, command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Copies a local file to a member and checks its sha256 on the remote side. */
  upload(
    member: string,
    localPath: string,
    remotePath: string,
    opts?: { mode?: number },
  ): Promise<TransferResult>;
  /** Copies a file from a member and checks its sha256 against the remote one. */
  download(member: string, remotePath: string, localPath: string): Promise<TransferResult>;
  close(): Promise<void>;
}

/** Time as an injected dependency, so the engine is testable without waiting (src/engine/clock.ts has the real one). */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** The operator: asked before destructive steps and at choices (src/cli/prompter.ts). */
export interface Prompter {
  readonly interactive: boolean;
  /** `context` lets a terminal prompter say what the step does in words (src/render/confirm.ts);
   * only with it may the answer be 'abort' (end the run for good). */
  confirm(
    message: string,
    details: string[],
    context?: { plan: Plan; step: PlannedStep },
  ): Promise<boolean | 'abort'>;
  choose<T extends string>(message: string, choices: Array<{ value: T; name: string }>): Promise<T>;
}

/** The engine's logger: every recorded event, already redacted, with its time (renderers, the live view, tests). */
export type Listener = (event: RunEvent, at: Date) => void;
