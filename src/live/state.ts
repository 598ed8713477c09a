// Where a run stands, folded from its audit log alone (pure): phase, step N of M, per-host state, waiting or not.
import type { AuditEntry } from '../engine/record/audit.js';
import type { Compiled } from '../engine/machine.js';
import type { Plan } from '../engine/plan.js';
import { stepsOf } from '../engine/plan.js';
import { timeline, type Timeline } from '../documents/timeline.js';

export interface LiveState {
  runId: string;
  runbook: string;
  status: string;
  current?: { stateId: string; title: string; phase: string; n: number; of: number };
  waiting?: { stateId: string; hint: string };
  hosts: Record<string, { step: string; state: string }>;
  lastAt?: string;
  entries: number;
  t: Timeline;
}

const OPEN_PROMPT = "a confirmation is open on the operator's terminal (y runs it, n stops, a a aborts)";

/** The events that close an open confirmation (a stop for approval keeps its banner past its run.end). */
const answered = (e: AuditEntry) =>
  e.type === 'approval' ||
  e.type === 'abort' ||
  e.type === 'step.start' ||
  e.type === 'run.resume' ||
  e.type === 'interrupt' ||
  (e.type === 'run.end' && e.status !== 'awaiting-approval');

/** After an interrupt no command is running any more: a host that was busy shows where it stopped. */
function markInterrupted(hosts: LiveState['hosts']): void {
  for (const h of Object.values(hosts))
    if (h.state.startsWith('running')) h.state = `interrupted (${h.state})`;
}

export function liveState(entries: AuditEntry[], plan: Plan, compiled: Compiled): LiveState {
  const t = timeline(entries);
  const steps = stepsOf(plan);
  const hosts: LiveState['hosts'] = {};
  let waiting: LiveState['waiting'];
  let currentId: string | undefined;
  for (const e of entries) {
    if (e.type === 'step.start') {
      currentId = e.stateId;
      waiting = undefined;
      for (const h of e.hosts) hosts[h] = { step: e.stateId, state: 'running' };
    } else if (e.type === 'host.end') hosts[e.member] = { step: e.stateId, state: e.status };
    else if (e.type === 'cmd.start')
      hosts[e.member] = { step: e.stateId, state: `running command ${e.index + 1}` };
    else if (e.type === 'approval.missing') waiting = { stateId: e.stateId, hint: e.hint };
    else if (e.type === 'approval.asked') waiting = { stateId: e.stateId, hint: OPEN_PROMPT };
    else if (answered(e)) waiting = undefined;
    if (e.type === 'interrupt') markInterrupted(hosts);
  }
  const cur = currentId ? steps.findIndex((s) => s.stateId === currentId) : -1;
  const info = currentId ? compiled.states.get(currentId) : undefined;
  const last = entries.at(-1);
  return {
    runId: t.runId ?? '',
    runbook: t.runbook ?? plan.runbook,
    status: t.status,
    ...(cur >= 0
      ? {
          current: {
            stateId: currentId!,
            title: steps[cur]!.title,
            phase: info?.kind === 'step' ? info.phase.title : '',
            n: cur + 1,
            of: steps.length,
          },
        }
      : {}),
    ...(waiting ? { waiting } : {}),
    hosts,
    ...(last ? { lastAt: last.ts } : {}),
    entries: entries.length,
    t,
  };
}
