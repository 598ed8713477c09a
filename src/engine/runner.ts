// The runner: drives the compiled machine through the stored plan with an executor, a clock and a prompter.
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { createActor } from 'xstate';
import { LifeboatError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { redactDeep, type Redactor } from '../core/redact.js';
import type { ExecResult, Executor } from '../exec/types.js';
import { AuditLog } from './audit.js';
import { distrustApprovals, trustedSnapshot, verifiedEntries } from './trust.js';
import type { Failpoint } from './failpoint.js';
import { gatherFacts } from './probe.js';
import { watchWhileAsking } from './staleness.js';
import type { Listener, RunEvent, RunStatus } from './events.js';
import { applyEvent, cmdKey, foldJournal, hostKey, type JournalState } from './journal.js';
import { FINAL, type Compiled } from './machine.js';
import { hostCtx, plan, type Plan, type PlannedHost, type PlannedStep } from './plan.js';
import { readSnapshot, runFiles, writeAtomic, type RunRecord } from './rundir.js';
import { privateDir } from '../local/private.js';
import type { Action, PlanCtx, RunbookDef } from './types.js';
import { loadPlanCtx } from './context.js';

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
  /** Writes the audit head on the members (src/engine/anchor.ts): after each approval and step. */
  anchor?: (head: { seq: number; hash: string }) => Promise<void>;
  /** On resume: approvals recorded after this entry are not vouched for by the members' anchors. */
  trustApprovalsUpTo?: number;
}

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

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const tail = (s: string, n = 800) => (s.length > n ? `…${s.slice(-n)}` : s);
const approved = (a: Approvals, s: PlannedStep) => a.all || a.steps.has(s.id) || a.steps.has(s.stateId);

export function stepFailure(s: PlannedStep, member: string, command: string, r: ExecResult): LifeboatError {
  const why = r.timedOut
    ? `timed out after ${s.timeoutMs} ms`
    : r.exitCode !== null
      ? `exited ${r.exitCode}`
      : `ended by signal ${r.signal ?? '?'}`;
  const err = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
  const cmd = command.split('\n')[0] ?? '';
  return new LifeboatError(
    'step',
    `step ${s.stateId} failed on ${member}: \`${cmd.length > 120 ? `${cmd.slice(0, 120)}…` : cmd}\` ${why}${err ? `: ${err}` : ''}`,
    {
      host: member,
      command,
      hint: `${s.hint ?? 'fix the cause'}; then 'lifeboat resume RUN_DIR' to retry, skip or abort`,
    },
  );
}

/** The hosts changed while an approval was open: stop before the step, saying what changed. */
function staleApproval(dir: string, s: PlannedStep, changed: string[]): LifeboatError {
  return new LifeboatError(
    'refused',
    `approval of ${s.stateId} came after a long wait, and meanwhile: ${changed.slice(0, 6).join('; ')}`,
    {
      hint: `nothing more was run; check the cluster, then 'lifeboat resume ${dir}' (asked again) or start a new run`,
    },
  );
}

export async function execute(a: ExecuteArgs): Promise<RunStatus> {
  const { deps, record, compiled } = a;
  const files = runFiles(a.dir);
  const audit = new AuditLog(files.audit);
  const entries = verifiedEntries(files.audit);
  const journal: JournalState = distrustApprovals(foldJournal(entries), entries, deps.trustApprovalsUpTo);
  const anchorNow = () => deps.anchor?.({ seq: audit.headSeq, hash: audit.headHash });
  const ctx: PlanCtx = loadPlanCtx(record);
  // The plan is pure: recomputed from the stored context, so the stored copy can stay redacted.
  const thePlan = plan(a.runbook, ctx, compiled);
  const emit = (e: RunEvent) => {
    const at = deps.clock.now();
    const clean = redactDeep(e, deps.redactor);
    deps.failpoint?.beforeAppend(clean);
    const entry = audit.append(clean, at);
    deps.failpoint?.afterAppend(entry.seq, clean);
    applyEvent(journal, clean);
    for (const l of deps.listeners) l(clean, at);
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

  try {
    for (const e of a.opening) emit(e);
    if (audit.repaired) emit({ type: 'warning', message: audit.repaired });
    for (const e of deps.pending?.splice(0) ?? []) emit(e);
    if (snapshot === undefined) persist();
    if (a.afterFailure === 'abort' && actor.getSnapshot().status !== 'done') send('ABORT');
    else if (journal.lastFailed && a.afterFailure) {
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
      if (s.status === 'done') {
        const status: RunStatus =
          value === FINAL.done ? 'done' : value === FINAL.refused ? 'refused' : 'aborted';
        const refusal = thePlan.refusal;
        emit({ type: 'run.end', status, ...(status === 'refused' && refusal ? { message: refusal } : {}) });
        return status;
      }
      const item = thePlan.items.find((i) => i.stateId === value);
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
      const outcome = await runStep(item);
      send(outcome === 'skipped' ? 'SKIP' : 'DONE');
      await anchorNow();
    }
  } catch (err) {
    const raw = err instanceof LifeboatError ? err : new LifeboatError('internal', (err as Error).message);
    // What leaves the engine is redacted like everything it records.
    const r = (t: string | undefined) => (t === undefined ? undefined : deps.redactor.redact(t));
    // A lost host stops the run mid-way: the one line the operator reads must say how to go on.
    const hint =
      raw.code === 'unreachable'
        ? `${raw.hint ?? 'check the host'}; then 'lifeboat resume ${a.dir}' (the interrupted step is re-checked first)`
        : raw.hint;
    const e = new LifeboatError(raw.code, r(raw.message)!, {
      ...(hint ? { hint: r(hint)! } : {}),
      ...(raw.host ? { host: raw.host } : {}),
      ...(raw.command ? { command: r(raw.command)! } : {}),
    });
    const status: RunStatus = e.code === 'approval' ? 'awaiting-approval' : 'failed';
    emit({ type: 'run.end', status, message: e.oneLine() });
    throw e;
  } finally {
    actor.stop();
    audit.close();
  }

  async function runStep(s: PlannedStep): Promise<'done' | 'skipped'> {
    const st = journal.steps.get(s.stateId);
    if (st?.ended === 'done') return 'done';
    if (st?.ended === 'skipped') return 'skipped';
    // Approval comes before the step starts, so a declined step leaves no trace on any host.
    if (s.destructive && !journal.approvals.has(s.stateId)) await approve(s);
    const started = deps.clock.now().getTime();
    if (!st?.started || st.ended === 'failed')
      emit({ type: 'step.start', stateId: s.stateId, title: s.title, hosts: s.hosts.map((h) => h.member) });
    const info = compiled.states.get(s.stateId);
    const def = info?.kind === 'step' ? info.step : undefined;
    try {
      if (s.local && def?.local) {
        const data = await def.local.run(ctx, {
          outputs: journal.outputs,
          log: (m) => emit({ type: 'warning', message: m }),
        });
        if (data) emit({ type: 'capture', stateId: s.stateId, member: 'local', data });
      }
      if (s.parallel) {
        const results = await Promise.allSettled(s.hosts.map((h) => runHost(s, h)));
        const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (bad) throw bad.reason;
      } else {
        for (const h of s.hosts) await runHost(s, h);
      }
    } catch (err) {
      // A lost connection interrupts the step rather than failing it: resume re-checks it and goes on.
      if (err instanceof LifeboatError && err.code === 'unreachable') throw err;
      const e =
        err instanceof LifeboatError
          ? err
          : new LifeboatError(
              'step',
              `step ${s.stateId} failed: ${(err as Error).message}`,
              s.hint ? { hint: s.hint } : {},
            );
      emit({
        type: 'step.end',
        stateId: s.stateId,
        status: 'failed',
        durationMs: deps.clock.now().getTime() - started,
        error: e.oneLine(),
      });
      throw e;
    }
    emit({
      type: 'step.end',
      stateId: s.stateId,
      status: 'done',
      durationMs: deps.clock.now().getTime() - started,
    });
    return 'done';
  }

  async function approve(s: PlannedStep): Promise<void> {
    if (approved(a.approvals, s)) {
      emit({
        type: 'approval',
        stateId: s.stateId,
        by: deps.operator,
        how: a.approvals.all ? 'yes-flag' : 'approve-flag',
      });
      await anchorNow();
      return;
    }
    if (deps.prompter.interactive) {
      const details = s.hosts.flatMap((h) => [
        `${h.member}:`,
        ...h.actions.map((x) => `  ${describeAction(x)}`),
      ]);
      if (s.changes) details.unshift(`changes: ${s.changes}`);
      const watch = watchWhileAsking(
        ctx.facts.probed ? () => gatherFacts(ctx.inventory, deps.executor, deps.clock.now()) : undefined,
        () => deps.clock.now().getTime(),
      );
      const ok = await deps.prompter.confirm(
        `Run destructive step '${s.title}' (${s.stateId}) on ${s.hosts.map((h) => h.member).join(', ') || 'this machine'}?`,
        details.map((d) => deps.redactor.redact(d)),
        { plan: thePlan, step: s },
      );
      if (ok) {
        const changed = await watch.drift();
        if (changed.length > 0) throw staleApproval(a.dir, s, changed);
        emit({ type: 'approval', stateId: s.stateId, by: deps.operator, how: 'prompt' });
        await anchorNow();
        return;
      }
    }
    const hint = `approve it with 'lifeboat resume ${a.dir} --approve ${s.id}' (or --yes for every step)`;
    emit({ type: 'approval.missing', stateId: s.stateId, hint });
    throw new LifeboatError('approval', `stopped before destructive step ${s.stateId}: not approved`, {
      hint,
    });
  }

  async function runHost(s: PlannedStep, h: PlannedHost): Promise<void> {
    const key = hostKey(s.stateId, h.member);
    const hs = journal.hosts.get(key);
    if (hs?.ended === 'done' || hs?.ended === 'already-done') return;
    const t0 = deps.clock.now().getTime();
    if (hs?.started) {
      // Interrupted or failed here before: ask the step's own check whether it already happened.
      if (h.check) {
        const r = await deps.executor.exec(h.member, h.check, { timeoutMs: 30_000 });
        emit({
          type: 'host.check',
          stateId: s.stateId,
          member: h.member,
          alreadyDone: r.exitCode === 0,
          exitCode: r.exitCode,
        });
        if (r.exitCode === 0) {
          emit({
            type: 'host.end',
            stateId: s.stateId,
            member: h.member,
            status: 'already-done',
            durationMs: deps.clock.now().getTime() - t0,
          });
          return;
        }
      } else if (hs.ended === undefined && !approved(a.approvals, s)) {
        const q = `Step ${s.stateId} was interrupted on ${h.member} and has no check; run its remaining commands again?`;
        if (!(deps.prompter.interactive && (await deps.prompter.confirm(q, h.actions.map(describeAction))))) {
          throw new LifeboatError(
            'approval',
            `step ${s.stateId} was interrupted on ${h.member} and cannot tell whether it finished`,
            {
              host: h.member,
              hint: `check the host, then 'lifeboat resume ${a.dir} --approve ${s.id}' to run it again`,
            },
          );
        }
      }
    }
    let lastStdout = '';
    let reconnected = false;
    const info = compiled.states.get(s.stateId);
    const capture = info?.kind === 'step' ? info.step.capture : undefined;
    const last = h.actions.length - 1;
    for (const [index, action] of h.actions.entries()) {
      // Done commands are not repeated; a capturing step's last (read-only) command runs again so its output can be read.
      if (
        journal.cmds.get(cmdKey(s.stateId, h.member, index))?.exitCode === 0 &&
        !(capture && index === last)
      )
        continue;
      let result: ExecResult | undefined;
      for (let attempt = 1; attempt <= s.retries + 1; attempt++) {
        const command = describeAction(action);
        emit({ type: 'cmd.start', stateId: s.stateId, member: h.member, index, attempt, command });
        try {
          result = await perform(h.member, action, s.timeoutMs);
          // No exit status and no signal: the command's outcome is unknown, which is an interruption, not a failure.
          if (result.exitCode === null && result.signal === null && !result.timedOut) {
            throw new LifeboatError('unreachable', `${h.member}: the command ended without an exit status`, {
              host: h.member,
              hint: 'check the host, then resume: the step is re-checked first',
            });
          }
        } catch (err) {
          emit({
            type: 'cmd.end',
            stateId: s.stateId,
            member: h.member,
            index,
            attempt,
            exitCode: null,
            signal: null,
            timedOut: false,
            durationMs: 0,
            stdoutSha256: sha(''),
            stderrSha256: sha(''),
            tail: tail((err as Error).message),
          });
          // One lost connection per host is mended in place, as resume would: reconnect, ask the check, go on.
          if (reconnected || !(err instanceof LifeboatError && err.code === 'unreachable') || !h.check)
            throw err;
          reconnected = true;
          emit({
            type: 'warning',
            message: `${h.member}: ${err.message}; reconnecting to re-check ${s.stateId}`,
          });
          const r = await deps.executor.exec(h.member, h.check, { timeoutMs: 30_000 });
          emit({
            type: 'host.check',
            stateId: s.stateId,
            member: h.member,
            alreadyDone: r.exitCode === 0,
            exitCode: r.exitCode,
          });
          if (r.exitCode === 0) {
            emit({
              type: 'host.end',
              stateId: s.stateId,
              member: h.member,
              status: 'already-done',
              durationMs: deps.clock.now().getTime() - t0,
            });
            return;
          }
          attempt--;
          continue;
        }
        emit({
          type: 'cmd.end',
          stateId: s.stateId,
          member: h.member,
          index,
          attempt,
          exitCode: result.exitCode,
          signal: result.signal,
          timedOut: result.timedOut,
          durationMs: result.durationMs,
          stdoutSha256: sha(result.stdout),
          stderrSha256: sha(result.stderr),
          tail: tail(`${result.stdout}${result.stderr ? `\n[stderr] ${result.stderr}` : ''}`.trim()),
        });
        if (result.exitCode === 0) break;
        if (attempt <= s.retries) {
          emit({ type: 'retry', stateId: s.stateId, by: 'engine' });
          await deps.clock.sleep(Math.min(1000 * attempt, 5000));
        }
      }
      if (!result || result.exitCode !== 0) {
        emit({
          type: 'host.end',
          stateId: s.stateId,
          member: h.member,
          status: 'failed',
          durationMs: deps.clock.now().getTime() - t0,
        });
        throw stepFailure(
          s,
          h.member,
          describeAction(action),
          result ?? { exitCode: null, signal: null, stdout: '', stderr: '', durationMs: 0, timedOut: false },
        );
      }
      lastStdout = result.stdout;
    }
    if (capture && h.actions.length > 0)
      emit({
        type: 'capture',
        stateId: s.stateId,
        member: h.member,
        data: capture(
          lastStdout,
          hostCtx(ctx, h.member, () => undefined),
        ),
      });
    if (h.verify) await verify(s, h);
    emit({
      type: 'host.end',
      stateId: s.stateId,
      member: h.member,
      status: 'done',
      durationMs: deps.clock.now().getTime() - t0,
    });
  }

  async function verify(s: PlannedStep, h: PlannedHost): Promise<void> {
    const v = h.verify!;
    const deadline = deps.clock.now().getTime() + (v.waitMs ?? 0);
    let attempts = 0;
    for (;;) {
      attempts++;
      const r = await deps.executor.exec(h.member, v.script, {
        timeoutMs: Math.max(10_000, Math.min(s.timeoutMs, 60_000)),
      });
      if (r.exitCode === 0) {
        emit({
          type: 'verify',
          stateId: s.stateId,
          member: h.member,
          ok: true,
          attempts,
          tail: tail(r.stdout.trim(), 400),
        });
        return;
      }
      if (deps.clock.now().getTime() >= deadline) {
        emit({
          type: 'verify',
          stateId: s.stateId,
          member: h.member,
          ok: false,
          attempts,
          tail: tail(`${r.stdout}${r.stderr}`.trim(), 400),
        });
        emit({ type: 'host.end', stateId: s.stateId, member: h.member, status: 'failed', durationMs: 0 });
        throw stepFailure(
          { ...s, hint: `verification failed; ${s.hint ?? 'inspect the host'}` },
          h.member,
          v.script,
          r,
        );
      }
      await deps.clock.sleep(v.intervalMs ?? 500);
    }
  }

  async function perform(member: string, action: Action, timeoutMs: number): Promise<ExecResult> {
    const t0 = deps.clock.now().getTime();
    const ok = (stdout: string): ExecResult => ({
      exitCode: 0,
      signal: null,
      stdout,
      stderr: '',
      durationMs: deps.clock.now().getTime() - t0,
      timedOut: false,
    });
    switch (action.kind) {
      case 'sh':
        return deps.executor.exec(member, action.script, {
          timeoutMs,
          ...(action.secrets ? { secrets: action.secrets } : {}),
        });
      case 'upload': {
        const r = await deps.executor.upload(
          member,
          resolve(action.from),
          action.to,
          action.mode === undefined ? {} : { mode: action.mode },
        );
        return ok(`uploaded ${r.bytes} bytes, sha256 ${r.sha256} verified on ${member}`);
      }
      case 'download': {
        privateDir(dirname(resolve(action.to)));
        const r = await deps.executor.download(member, action.from, resolve(action.to));
        return ok(`downloaded ${r.bytes} bytes, sha256 ${r.sha256} verified`);
      }
    }
  }
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'sh':
      return a.script;
    case 'upload':
      return `upload ${a.from} -> ${a.to} (sha256 checked on the host)`;
    case 'download':
      return `download ${a.from} -> ${a.to} (sha256 checked)`;
  }
}
