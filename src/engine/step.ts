// A step: approval first (when destructive), then its local part, then its hosts (in turn or in parallel).
import { LifeboatError } from '../errors/error.js';
import type { RunEvent } from './events.js';
import { describeAction } from './actions.js';
import { runHost } from './host.js';
import type { PlannedStep } from './plan.js';
import { gatherFacts } from '../etcd/probe.js';
import { approved, elapsedSince, type RunScope } from './scope.js';
import { watchWhileAsking } from './staleness.js';

export async function runStep(run: RunScope, step: PlannedStep): Promise<'done' | 'skipped' | 'aborted'> {
  const { journal, emit } = run;
  const state = journal.steps.get(step.stateId);
  if (state?.ended === 'done') return 'done';
  if (state?.ended === 'skipped') return 'skipped';
  // Approval comes before the step starts, so a declined step leaves no trace on any host.
  if (step.destructive && !journal.approvals.has(step.stateId) && (await approve(run, step)) === 'abort') {
    emit(abortEvent(step.stateId, run.deps.operator, 'prompt'));
    return 'aborted';
  }
  const started = run.deps.clock.now().getTime();
  if (!state?.started || state.ended === 'failed')
    emit({
      type: 'step.start',
      stateId: step.stateId,
      title: step.title,
      hosts: step.hosts.map((h) => h.member),
    });
  try {
    await runLocalPart(run, step);
    if (step.parallel) {
      const results = await Promise.allSettled(step.hosts.map((host) => runHost(run, step, host)));
      const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad) throw bad.reason;
    } else {
      for (const host of step.hosts) await runHost(run, step, host);
    }
  } catch (err) {
    // A lost connection interrupts the step rather than failing it: resume re-checks it and goes on.
    if (err instanceof LifeboatError && err.code === 'unreachable') throw err;
    const e =
      err instanceof LifeboatError
        ? err
        : new LifeboatError(
            'step',
            `step ${step.stateId} failed: ${(err as Error).message}`,
            step.hint ? { hint: step.hint } : {},
          );
    const durationMs = elapsedSince(run, started);
    emit({ type: 'step.end', stateId: step.stateId, status: 'failed', durationMs, error: e.oneLine() });
    throw e;
  }
  emit({ type: 'step.end', stateId: step.stateId, status: 'done', durationMs: elapsedSince(run, started) });
  return 'done';
}

/** A step's part on the operator's machine (e.g. checking a downloaded file), before any host. */
async function runLocalPart(run: RunScope, step: PlannedStep): Promise<void> {
  const info = run.compiled.states.get(step.stateId);
  const def = info?.kind === 'step' ? info.step : undefined;
  if (!step.local || !def?.local) return;
  const data = await def.local.run(run.ctx, {
    outputs: run.journal.outputs,
    log: (message) => run.emit({ type: 'warning', message }),
  });
  if (data) run.emit({ type: 'capture', stateId: step.stateId, member: 'local', data });
}

/** Approval by flag, or by prompt when interactive (refused if the hosts changed meanwhile); else stop. */
async function approve(run: RunScope, step: PlannedStep): Promise<'abort' | undefined> {
  const { deps, emit } = run;
  if (approved(run.approvals, step)) {
    const how = run.approvals.all ? 'yes-flag' : 'approve-flag';
    emit({ type: 'approval', stateId: step.stateId, by: deps.operator, how });
    await run.anchorNow();
    return undefined;
  }
  if (deps.prompter.interactive) {
    const details = step.hosts.flatMap((h) => [
      `${h.member}:`,
      ...h.actions.map((x) => `  ${describeAction(x)}`),
    ]);
    if (step.changes) details.unshift(`changes: ${step.changes}`);
    const watch = watchWhileAsking(
      run.ctx.facts.probed
        ? () => gatherFacts(run.ctx.inventory, deps.executor, deps.clock.now())
        : undefined,
      () => deps.clock.now().getTime(),
    );
    const where = step.hosts.map((h) => h.member).join(', ') || 'this machine';
    emit({ type: 'approval.asked', stateId: step.stateId });
    const ok = await deps.prompter.confirm(
      `Run destructive step '${step.title}' (${step.stateId}) on ${where}?`,
      details.map((d) => deps.redactor.redact(d)),
      { plan: run.plan, step },
    );
    if (ok === 'abort') return 'abort';
    if (ok) {
      const changed = await watch.drift();
      if (changed.length > 0) throw staleApproval(run.dir, step, changed);
      emit({ type: 'approval', stateId: step.stateId, by: deps.operator, how: 'prompt' });
      await run.anchorNow();
      return undefined;
    }
  }
  const hint = `approve it with 'lifeboat resume ${run.dir} --approve ${step.id}' (or --yes for every step)`;
  emit({ type: 'approval.missing', stateId: step.stateId, hint });
  throw new LifeboatError('approval', `stopped before destructive step ${step.stateId}: not approved`, {
    hint,
  });
}

/** The hosts changed while an approval was open: stop before the step, saying what changed. */
function staleApproval(dir: string, step: PlannedStep, changed: string[]): LifeboatError {
  return new LifeboatError(
    'refused',
    `approval of ${step.stateId} came after a long wait, and meanwhile: ${changed.slice(0, 6).join('; ')}`,
    {
      hint: `nothing more was run; check the cluster, then 'lifeboat resume ${dir}' (asked again) or start a new run`,
    },
  );
}

/** Ending a run for good is recorded with who and before which step: resume then refuses it, saying so. */
export const abortEvent = (stateId: string, by: string, how: 'prompt' | 'flag'): RunEvent => ({
  type: 'abort',
  stateId,
  by,
  how,
});
