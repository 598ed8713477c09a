// The runner: drives the compiled machine through the stored plan with an executor, a clock and a prompter.
// Steps are in step.ts, a step on one host (re-check, retries, verification) in host.ts, actions in actions.ts.
import { createActor } from 'xstate';
import { LifeboatError } from '../errors/error.js';
import { redactDeep } from '../secrets/redact.js';
import { AuditLog } from './record/audit.js';
import { distrustApprovals, trustedSnapshot, verifiedEntries } from './record/trust.js';
import type { InterruptSignal, RunEvent, RunStatus } from './events.js';
import { applyEvent, foldJournal } from './record/journal.js';
import { FINAL, type Compiled } from './machine.js';
import { plan } from './plan.js';
import { readSnapshot, runFiles, writeAtomic, type RunRecord } from './record/rundir.js';
import type { RunbookDef } from './types.js';
import { loadPlanCtx } from './context.js';
import type { Approvals, EngineDeps, RunScope } from './scope.js';
import { abortEvent, runStep } from './step.js';
import { leftBehind } from './leftover.js';

export type { Approvals, EngineDeps } from './scope.js';
export { describeAction, stepFailure } from './actions.js';

export interface ExecuteArgs {
  dir: string;
  record: RunRecord;
  runbook: RunbookDef;
  compiled: Compiled;
  deps: EngineDeps;
  approvals: Approvals;
  /** First event(s) of this invocation: run.start for a new run, run.resume for a resume. */
  opening: RunEvent[];
  /** After a failure: what the operator chose on resume. */
  afterFailure?: 'retry' | 'skip' | 'abort';
}

export async function execute(a: ExecuteArgs): Promise<RunStatus> {
  const { deps, compiled } = a;
  const files = runFiles(a.dir);
  const audit = new AuditLog(files.audit);
  const entries = verifiedEntries(files.audit);
  const journal = distrustApprovals(foldJournal(entries), entries, deps.trustApprovalsUpTo);
  const anchorNow = async () => deps.anchor?.({ seq: audit.headSeq, hash: audit.headHash });
  const ctx = loadPlanCtx(a.record);
  // Once the run has stopped on a signal, a step still in flight records nothing more: resume re-checks it.
  let closed = false;
  const emit = (e: RunEvent) => {
    if (closed) return;
    const at = deps.clock.now();
    const clean = redactDeep(e, deps.redactor);
    deps.failpoint?.beforeAppend(clean);
    const entry = audit.append(clean, at);
    deps.failpoint?.afterAppend(entry.seq, clean);
    applyEvent(journal, clean);
    for (const l of deps.listeners) l(clean, at);
  };
  // The plan is pure: recomputed from the stored context, so the stored copy can stay redacted.
  const run: RunScope = {
    dir: a.dir,
    deps,
    approvals: a.approvals,
    compiled,
    ctx,
    journal,
    emit,
    anchorNow,
    plan: plan(a.runbook, ctx, compiled),
  };
  const snapshot = trustedSnapshot(compiled, readSnapshot(a.dir), entries, journal, files.snapshot);
  const actor = createActor(
    compiled.machine,
    snapshot === undefined ? undefined : { snapshot: snapshot as never },
  );
  actor.start();
  const persist = () => writeAtomic(files.snapshot, JSON.stringify(actor.getPersistedSnapshot()));
  const send = (event: string) => {
    const from = String(actor.getSnapshot().value);
    actor.send({ type: event } as never);
    const to = String(actor.getSnapshot().value);
    persist();
    emit({ type: 'transition', from, to, event });
  };
  const interrupted = interruption(deps.interrupt);
  const stopHere = (signal: InterruptSignal, stateId?: string): RunStatus => {
    for (const e of interruptEvents(signal, stateId)) emit(e);
    closed = true;
    return 'interrupted';
  };
  try {
    for (const e of a.opening) emit(e);
    if (audit.repaired) emit({ type: 'warning', message: audit.repaired });
    for (const e of deps.pending?.splice(0) ?? []) emit(e);
    if (snapshot === undefined) persist();
    if (a.afterFailure === 'abort' && actor.getSnapshot().status !== 'done') {
      emit(abortEvent(String(actor.getSnapshot().value), deps.operator, 'flag'));
      send('ABORT');
    } else if (journal.lastFailed && a.afterFailure) {
      const failed = journal.lastFailed;
      if (a.afterFailure === 'skip') {
        emit({ type: 'skip', stateId: failed, by: deps.operator });
        emit({ type: 'step.end', stateId: failed, status: 'skipped', durationMs: 0 });
      } else emit({ type: 'retry', stateId: failed, by: deps.operator });
    }
    for (;;) {
      for (const e of deps.pending?.splice(0) ?? []) emit(e);
      const s = actor.getSnapshot();
      const value = String(s.value);
      if (s.status === 'done') return await ending(run, value);
      if (deps.interrupt?.aborted) return stopHere(signalOf(deps.interrupt));
      const item = run.plan.items.find((i) => i.stateId === value);
      if (!item)
        throw new LifeboatError('internal', `the stored plan has no item for state ${value}`, {
          hint: 'the runbook changed under this run; start a new run',
        });
      if (item.kind === 'decision') {
        if (!journal.decisions.has(value))
          emit({ type: 'decision', stateId: value, branch: item.branch, why: item.why });
        send(`BRANCH.${item.branch}`);
        continue;
      }
      const outcome = await Promise.race([runStep(run, item), interrupted]);
      if (outcome === 'SIGINT' || outcome === 'SIGTERM') return stopHere(outcome, value);
      send(outcome === 'skipped' ? 'SKIP' : outcome === 'aborted' ? 'ABORT' : 'DONE');
      await anchorNow();
    }
  } catch (err) {
    const e = leavingError(a.dir, deps, err);
    const status: RunStatus = e.code === 'approval' ? 'awaiting-approval' : 'failed';
    emit({ type: 'run.end', status, message: e.oneLine() });
    throw e;
  } finally {
    closed = true;
    actor.stop();
    audit.close();
  }
}

/** The run reached a final state: what an abort left behind and the cluster after it, then run.end. */
async function ending(run: RunScope, value: string): Promise<RunStatus> {
  const { deps, emit, journal } = run;
  const status: RunStatus = value === FINAL.done ? 'done' : value === FINAL.refused ? 'refused' : 'aborted';
  const why = status === 'refused' ? run.plan.refusal : status === 'aborted' ? journal.aborted : undefined;
  const left = status === 'aborted' ? leftBehind(run.plan, journal) : [];
  if (status === 'aborted') emit({ type: 'left', items: left });
  if (status !== 'refused') for (const e of (await deps.closing?.(status, left)) ?? []) emit(e);
  emit({ type: 'run.end', status, ...(why ? { message: why } : {}) });
  return status;
}

/** The end of an interrupted invocation: resumable, the step in flight re-checked on resume. */
const interruptEvents = (signal: InterruptSignal, stateId: string | undefined): RunEvent[] => [
  { type: 'interrupt', signal, ...(stateId ? { stateId } : {}) },
  { type: 'run.end', status: 'interrupted', message: `${signal}${stateId ? ` during ${stateId}` : ''}` },
];

const signalOf = (s: AbortSignal): InterruptSignal => (s.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');

/** Resolves with the signal once the operator interrupts (never without an interrupt signal to listen to). */
function interruption(s: AbortSignal | undefined): Promise<InterruptSignal> {
  return new Promise((resolve) => {
    if (!s) return;
    if (s.aborted) resolve(signalOf(s));
    else s.addEventListener('abort', () => resolve(signalOf(s)), { once: true });
  });
}

/** What leaves the engine is redacted like everything it records. */
function leavingError(dir: string, deps: EngineDeps, err: unknown): LifeboatError {
  const raw = err instanceof LifeboatError ? err : new LifeboatError('internal', (err as Error).message);
  const r = (t: string | undefined) => (t === undefined ? undefined : deps.redactor.redact(t));
  // A lost host stops the run mid-way: the one line the operator reads must say how to go on.
  const hint =
    raw.code === 'unreachable'
      ? `${raw.hint ?? 'check the host'}; then 'lifeboat resume ${dir}' (the interrupted step is re-checked first)`
      : raw.hint;
  return new LifeboatError(raw.code, r(raw.message)!, {
    ...(hint ? { hint: r(hint)! } : {}),
    ...(raw.host ? { host: raw.host } : {}),
    ...(raw.command ? { command: r(raw.command)! } : {}),
  });
}
