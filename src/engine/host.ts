// A step on one host: re-check after an interruption, its actions with retries, its capture and its verification.
import { LifeboatError } from '../errors/error.js';
import type { ExecResult } from './ports.js';
import { describeAction, perform, sha, stepFailure, tail } from './actions.js';
import { cmdKey, hostKey } from './record/journal.js';
import { hostCtx, type PlannedHost, type PlannedStep } from './plan.js';
import { approved, elapsedSince, type RunScope } from './scope.js';
import type { Action } from './types.js';

const NO_RESULT: ExecResult = {
  exitCode: null,
  signal: null,
  stdout: '',
  stderr: '',
  durationMs: 0,
  timedOut: false,
};

export async function runHost(run: RunScope, step: PlannedStep, host: PlannedHost): Promise<void> {
  const { journal, emit } = run;
  const hs = journal.hosts.get(hostKey(step.stateId, host.member));
  if (hs?.ended === 'done' || hs?.ended === 'already-done') return;
  const t0 = run.deps.clock.now().getTime();
  // Interrupted or failed here before: ask the step's own check whether it already happened.
  if (hs?.started) {
    if (host.check) {
      if (await recheckHost(run, step, host, t0)) return;
    } else if (hs.ended === undefined && !approved(run.approvals, step)) await confirmRerun(run, step, host);
  }
  const info = run.compiled.states.get(step.stateId);
  const capture = info?.kind === 'step' ? info.step.capture : undefined;
  const last = host.actions.length - 1;
  const mend = { reconnected: false };
  let lastStdout = '';
  for (const [index, action] of host.actions.entries()) {
    // Done commands are not repeated; a capturing step's last (read-only) command runs again so its output can be read.
    const done = journal.cmds.get(cmdKey(step.stateId, host.member, index))?.exitCode === 0;
    if (done && !(capture && index === last)) continue;
    const result = await runAction(run, step, host, index, action, mend, t0);
    if (result === 'already-done') return;
    if (!result || result.exitCode !== 0) {
      const durationMs = elapsedSince(run, t0);
      emit({ type: 'host.end', stateId: step.stateId, member: host.member, status: 'failed', durationMs });
      throw stepFailure(step, host.member, describeAction(action), result ?? NO_RESULT);
    }
    lastStdout = result.stdout;
  }
  if (capture && host.actions.length > 0) {
    const data = capture(
      lastStdout,
      hostCtx(run.ctx, host.member, () => undefined),
    );
    emit({ type: 'capture', stateId: step.stateId, member: host.member, data });
  }
  if (host.verify) await verifyHost(run, step, host);
  emit({
    type: 'host.end',
    stateId: step.stateId,
    member: host.member,
    status: 'done',
    durationMs: elapsedSince(run, t0),
  });
}

/**
 * The step's own check, after an interruption or a lost connection: true (and the host ended) if it
 * already happened.
 */
async function recheckHost(
  run: RunScope,
  step: PlannedStep,
  host: PlannedHost,
  t0: number,
): Promise<boolean> {
  const r = await run.deps.executor.exec(host.member, host.check!, { timeoutMs: 30_000 });
  const alreadyDone = r.exitCode === 0;
  run.emit({
    type: 'host.check',
    stateId: step.stateId,
    member: host.member,
    alreadyDone,
    exitCode: r.exitCode,
  });
  if (alreadyDone) {
    const durationMs = elapsedSince(run, t0);
    run.emit({
      type: 'host.end',
      stateId: step.stateId,
      member: host.member,
      status: 'already-done',
      durationMs,
    });
  }
  return alreadyDone;
}

/** An interrupted step without a check cannot tell whether it finished: only the operator can say to run it again. */
async function confirmRerun(run: RunScope, step: PlannedStep, host: PlannedHost): Promise<void> {
  const { prompter } = run.deps;
  const q =
    `Step ${step.stateId} was interrupted on ${host.member} and has no check; run its remaining ` +
    `commands again?`;
  if (prompter.interactive && (await prompter.confirm(q, host.actions.map(describeAction))) === true) return;
  throw new LifeboatError(
    'approval',
    `step ${step.stateId} was interrupted on ${host.member} and cannot tell whether it finished`,
    {
      host: host.member,
      hint: `check the host, then 'lifeboat resume ${run.dir} --approve ${step.id}' to run it again`,
    },
  );
}

/** One action with the step's retries; one lost connection per host is mended in place (reconnect, re-check). */
async function runAction(
  run: RunScope,
  step: PlannedStep,
  host: PlannedHost,
  index: number,
  action: Action,
  mend: { reconnected: boolean },
  t0: number,
): Promise<ExecResult | undefined | 'already-done'> {
  const { emit } = run;
  const at = { stateId: step.stateId, member: host.member, index };
  let result: ExecResult | undefined;
  for (let attempt = 1; attempt <= step.retries + 1; attempt++) {
    emit({ type: 'cmd.start', ...at, attempt, command: describeAction(action) });
    try {
      result = await perform(run.deps, host.member, action, step.timeoutMs);
      // No exit status and no signal: the command's outcome is unknown, which is an interruption, not a failure.
      if (result.exitCode === null && result.signal === null && !result.timedOut) {
        throw new LifeboatError('unreachable', `${host.member}: the command ended without an exit status`, {
          host: host.member,
          hint: 'check the host, then resume: the step is re-checked first',
        });
      }
    } catch (err) {
      emit({ type: 'cmd.end', ...at, attempt, ...lostCommand(err) });
      // Mended as resume would: reconnect, ask the check, go on.
      if (mend.reconnected || !(err instanceof LifeboatError && err.code === 'unreachable') || !host.check)
        throw err;
      mend.reconnected = true;
      emit({
        type: 'warning',
        message: `${host.member}: ${err.message}; reconnecting to re-check ${step.stateId}`,
      });
      if (await recheckHost(run, step, host, t0)) return 'already-done';
      attempt--;
      continue;
    }
    emit({ type: 'cmd.end', ...at, attempt, ...commandOutcome(result) });
    if (result.exitCode === 0) break;
    if (attempt <= step.retries) {
      emit({ type: 'retry', stateId: step.stateId, by: 'engine' });
      await run.deps.clock.sleep(Math.min(1000 * attempt, 5000));
    }
  }
  return result;
}

function commandOutcome(result: ExecResult) {
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    stdoutSha256: sha(result.stdout),
    stderrSha256: sha(result.stderr),
    tail: tail(`${result.stdout}${result.stderr ? `\n[stderr] ${result.stderr}` : ''}`.trim()),
  };
}

function lostCommand(err: unknown) {
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    durationMs: 0,
    stdoutSha256: sha(''),
    stderrSha256: sha(''),
    tail: tail((err as Error).message),
  };
}

/** Polls the step's verification until it passes or its wait runs out (then the host and the step fail). */
async function verifyHost(run: RunScope, step: PlannedStep, host: PlannedHost): Promise<void> {
  const { deps, emit } = run;
  const check = host.verify!;
  const deadline = deps.clock.now().getTime() + (check.waitMs ?? 0);
  const at = { stateId: step.stateId, member: host.member };
  for (let attempts = 1; ; attempts++) {
    const r = await deps.executor.exec(host.member, check.script, {
      timeoutMs: Math.max(10_000, Math.min(step.timeoutMs, 60_000)),
    });
    if (r.exitCode === 0) {
      emit({ type: 'verify', ...at, ok: true, attempts, tail: tail(r.stdout.trim(), 400) });
      return;
    }
    if (deps.clock.now().getTime() >= deadline) {
      emit({ type: 'verify', ...at, ok: false, attempts, tail: tail(`${r.stdout}${r.stderr}`.trim(), 400) });
      emit({ type: 'host.end', ...at, status: 'failed', durationMs: 0 });
      const hint = `verification failed; ${step.hint ?? 'inspect the host'}`;
      throw stepFailure({ ...step, hint }, host.member, check.script, r);
    }
    // First retry soon (most checks pass a moment after the action), then doubling up to the step's interval.
    await deps.clock.sleep(Math.min(check.intervalMs ?? 500, 100 * 2 ** (attempts - 1)));
  }
}
