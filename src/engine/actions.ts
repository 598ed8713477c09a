// Actions: how a planned action is performed through the executor, described to the operator, and reported failed.
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { LifeboatError } from '../errors/error.js';
import type { ExecResult } from './ports.js';
import { privateDir } from '../local/private.js';
import type { PlannedStep } from './plan.js';
import type { EngineDeps } from './scope.js';
import type { Action } from './types.js';

export const sha = (text: string) => createHash('sha256').update(text).digest('hex');
export const tail = (text: string, n = 800) => (text.length > n ? `…${text.slice(-n)}` : text);

export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'sh':
      return action.script;
    case 'upload':
      return `upload ${action.from} -> ${action.to} (sha256 checked on the host)`;
    case 'download':
      return `download ${action.from} -> ${action.to} (sha256 checked)`;
  }
}

/** Runs one action on a host; transfers are reported as a successful command with what was verified. */
export async function perform(
  deps: EngineDeps,
  member: string,
  action: Action,
  timeoutMs: number,
): Promise<ExecResult> {
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

export function stepFailure(s: PlannedStep, member: string, command: string, r: ExecResult): LifeboatError {
  const why = r.timedOut
    ? `timed out after ${s.timeoutMs} ms`
    : r.exitCode !== null
      ? `exited ${r.exitCode}`
      : `ended by signal ${r.signal ?? '?'}`;
  const err = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
  const cmd = command.split('\n')[0] ?? '';
  const shown = cmd.length > 120 ? `${cmd.slice(0, 120)}…` : cmd;
  return new LifeboatError(
    'step',
    `step ${s.stateId} failed on ${member}: \`${shown}\` ${why}${err ? `: ${err}` : ''}`,
    {
      host: member,
      command,
      hint: `${s.hint ?? 'fix the cause'}; then 'lifeboat resume RUN_DIR' to retry, skip or abort`,
    },
  );
}
