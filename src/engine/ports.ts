// The engine's ports: what it needs from the outside world (hosts, time, the operator, whoever logs its events).
// src/ssh and the test fakes implement the Executor; src/cli the Prompter; src/render the Listeners.
import type { RunEvent } from './events.js';
import type { Plan, PlannedStep } from './plan.js';

export type { ExecOptions, ExecResult, Executor, TransferResult } from '../shell/executor.js';

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
