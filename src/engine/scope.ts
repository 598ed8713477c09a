// What one invocation of the runner shares with its step, host and action code: the run's deps, plan and journal.
import type { Clock } from '../core/clock.js';
import type { Redactor } from '../core/redact.js';
import type { Executor } from '../exec/types.js';
import type { Listener, RunEvent } from './events.js';
import type { Failpoint } from './failpoint.js';
import type { JournalState } from './journal.js';
import type { Compiled } from './machine.js';
import type { Plan, PlannedStep } from './plan.js';
import type { PlanCtx } from './types.js';

export interface Prompter {
  readonly interactive: boolean;
  /** `context` lets a terminal prompter say what the step does in words (src/render/confirm.ts). */
  confirm(message: string, details: string[], context?: { plan: Plan; step: PlannedStep }): Promise<boolean>;
  choose<T extends string>(message: string, choices: Array<{ value: T; name: string }>): Promise<T>;
}

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
}

export const approved = (approvals: Approvals, step: PlannedStep) =>
  approvals.all || approvals.steps.has(step.id) || approvals.steps.has(step.stateId);

export const elapsedSince = (run: RunScope, t0: number) => run.deps.clock.now().getTime() - t0;
