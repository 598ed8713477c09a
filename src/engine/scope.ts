// What one invocation of the runner shares with its step, host and action code: the run's deps, plan and journal.
import type { Redactor } from '../secrets/redact.js';
import type { LeftBehind, RunEvent, RunStatus } from './events.js';
import type { Clock, Executor, Listener, Prompter } from './ports.js';
import type { Failpoint } from './failpoint.js';
import type { JournalState } from './record/journal.js';
import type { Compiled } from './machine.js';
import type { Plan, PlannedStep } from './plan.js';
import type { PlanCtx } from './types.js';

export interface Approvals {
  all: boolean;
  steps: Set<string>;
}

export interface EngineDeps {
  executor: Executor;
  clock: Clock;
  prompter: Prompter;
  listeners: Listener[];
  redactor: Redactor;
  operator: string;
  /** Events raised at the edges (e.g. a host key accepted) waiting to be recorded. */
  pending?: RunEvent[];
  /** Testing aid: kills the process at a chosen journal boundary (src/engine/failpoint.ts). */
  failpoint?: Failpoint;
  /** Read-only events recorded just before a finished run's run.end (the facts after it, for the report). */
  closing?: (status: RunStatus, left: LeftBehind[]) => Promise<RunEvent[]>;
  /** Aborted (reason 'SIGINT' or 'SIGTERM') when the operator interrupts: the run stops, recorded and resumable. */
  interrupt?: AbortSignal;
  /** Writes the audit head on the members (src/engine/record/anchor.ts): after each approval and step. */
  anchor?: (head: { seq: number; hash: string }) => Promise<void>;
  /** On resume: approvals recorded after this entry are not vouched for by the members' anchors. */
  trustApprovalsUpTo?: number;
}

/** One invocation's state: `emit` records an event (redacted, audited, folded into `journal`, told to listeners). */
export interface RunScope {
  dir: string;
  deps: EngineDeps;
  approvals: Approvals;
  compiled: Compiled;
  ctx: PlanCtx;
  plan: Plan;
  journal: JournalState;
  emit: (event: RunEvent) => void;
  /** Anchors the audit head on the members (a no-op without deps.anchor). */
  anchorNow: () => Promise<void>;
}

export const approved = (approvals: Approvals, step: PlannedStep) =>
  approvals.all || approvals.steps.has(step.id) || approvals.steps.has(step.stateId);

export const elapsedSince = (run: RunScope, t0: number) => run.deps.clock.now().getTime() - t0;
