// Run events: one discriminated union, appended to the audit log and handed to every renderer.
export type RunStatus = 'done' | 'failed' | 'aborted' | 'refused' | 'awaiting-approval' | 'interrupted';

/** The signals Lifeboat handles itself during run and resume (src/cli/signals.ts). */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** Something an aborted run leaves stopped or changed on a host, and the commands that undo it. */
export interface LeftBehind {
  member: string;
  /** The step that stopped or changed it. */
  stateId: string;
  what: string;
  /** Commands to run on the host (empty when only the operator can judge, e.g. data moved aside). */
  undo: string[];
}

export type RunEvent =
  | {
      type: 'run.start';
      runId: string;
      runbook: string;
      runbookHash: string;
      inventory: string;
      inventoryHash: string;
      cluster: string;
      operator: { user: string; sudoUser?: string; host: string };
      dryRun: boolean;
      params: Record<string, string>;
    }
  | { type: 'run.resume'; by: string; acceptedChangedRunbook: boolean; from: string }
  | { type: 'facts'; summary: Record<string, string> }
  /** The cluster as `lifeboat diagnose` shows it, read before the run and after its end (for the report). */
  | { type: 'diagnosis'; when: 'before' | 'after'; verdict: string; text: string }
  | { type: 'warning'; message: string }
  | { type: 'hostkey.accepted'; member: string; fingerprint: string }
  | { type: 'lock'; action: 'acquired' | 'released'; where: string; holder: string }
  | { type: 'transition'; from: string; to: string; event: string }
  | { type: 'decision'; stateId: string; branch: string; why: string }
  | { type: 'step.start'; stateId: string; title: string; hosts: string[] }
  | { type: 'approval'; stateId: string; by: string; how: 'prompt' | 'yes-flag' | 'approve-flag' }
  | { type: 'approval.missing'; stateId: string; hint: string }
  /** A confirmation is open on the operator's terminal (watch and the live page show it until answered). */
  | { type: 'approval.asked'; stateId: string }
  /** The operator ended the run for good before this step (key `a`, or `resume --abort`). */
  | { type: 'abort'; stateId: string; by: string; how: 'prompt' | 'flag' }
  /** What the aborted run leaves stopped or changed (none when it changed nothing). */
  | { type: 'left'; items: LeftBehind[] }
  /** SIGINT/SIGTERM reached Lifeboat: the run stops here, resumable (the step in flight is re-checked). */
  | { type: 'interrupt'; signal: InterruptSignal; stateId?: string }
  | { type: 'host.check'; stateId: string; member: string; alreadyDone: boolean; exitCode: number | null }
  | { type: 'cmd.start'; stateId: string; member: string; index: number; attempt: number; command: string }
  | {
      type: 'cmd.end';
      stateId: string;
      member: string;
      index: number;
      attempt: number;
      exitCode: number | null;
      signal: string | null;
      timedOut: boolean;
      durationMs: number;
      stdoutSha256: string;
      stderrSha256: string;
      tail: string;
    }
  | { type: 'verify'; stateId: string; member: string; ok: boolean; attempts: number; tail: string }
  | { type: 'capture'; stateId: string; member: string; data: Record<string, unknown> }
  | {
      type: 'host.end';
      stateId: string;
      member: string;
      status: 'done' | 'already-done' | 'failed';
      durationMs: number;
    }
  | { type: 'retry'; stateId: string; by: string }
  | { type: 'skip'; stateId: string; by: string }
  | {
      type: 'step.end';
      stateId: string;
      status: 'done' | 'failed' | 'skipped';
      durationMs: number;
      error?: string;
    }
  | { type: 'run.end'; status: RunStatus; message?: string };

export type EventType = RunEvent['type'];
