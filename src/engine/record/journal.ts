// Folds the audit log into what already happened: the journal, not the machine snapshot, decides what ran.
import type { AuditEntry } from './audit.js';
import type { RunEvent } from '../events.js';

export interface JournalState {
  steps: Map<string, { started: boolean; ended?: 'done' | 'failed' | 'skipped' }>;
  hosts: Map<string, { started: boolean; ended?: 'done' | 'already-done' | 'failed' }>;
  cmds: Map<string, { started: boolean; exitCode?: number | null }>;
  approvals: Set<string>;
  decisions: Map<string, string>;
  outputs: Record<string, Record<string, Record<string, unknown>>>;
  lastFailed?: string;
  final?: string;
  /** Who aborted the run, before which step, when it was aborted (for run.end and resume's refusal). */
  aborted?: string;
}

export const hostKey = (stateId: string, member: string) => `${stateId}|${member}`;
export const cmdKey = (stateId: string, member: string, index: number) => `${stateId}|${member}|${index}`;

export function emptyJournal(): JournalState {
  return {
    steps: new Map(),
    hosts: new Map(),
    cmds: new Map(),
    approvals: new Set(),
    decisions: new Map(),
    outputs: {},
  };
}

export function applyEvent(j: JournalState, e: RunEvent): void {
  switch (e.type) {
    case 'step.start':
      j.steps.set(e.stateId, { started: true });
      break;
    case 'step.end':
      j.steps.set(e.stateId, { started: true, ended: e.status });
      if (e.status === 'failed') j.lastFailed = e.stateId;
      else if (j.lastFailed === e.stateId) delete j.lastFailed;
      break;
    case 'cmd.start':
      // A later attempt or a re-run clears an earlier exit code: only the newest start counts.
      j.cmds.set(cmdKey(e.stateId, e.member, e.index), { started: true });
      j.hosts.set(hostKey(e.stateId, e.member), {
        ...j.hosts.get(hostKey(e.stateId, e.member)),
        started: true,
      });
      break;
    case 'cmd.end':
      j.cmds.set(cmdKey(e.stateId, e.member, e.index), { started: true, exitCode: e.exitCode });
      break;
    case 'host.end':
      j.hosts.set(hostKey(e.stateId, e.member), { started: true, ended: e.status });
      break;
    case 'retry':
      // Retrying a failed step forgets its failed hosts and their commands' results.
      j.steps.set(e.stateId, { started: true });
      for (const [k, v] of j.hosts)
        if (k.startsWith(`${e.stateId}|`) && v.ended === 'failed') j.hosts.set(k, { started: false });
      if (j.lastFailed === e.stateId) delete j.lastFailed;
      break;
    case 'approval':
      j.approvals.add(e.stateId);
      break;
    case 'decision':
      j.decisions.set(e.stateId, e.branch);
      break;
    case 'capture':
      (j.outputs[e.stateId] ??= {})[e.member] = e.data;
      break;
    case 'abort':
      j.aborted = `aborted by ${e.by} before ${e.stateId}${e.how === 'flag' ? ' (resume --abort)' : ''}`;
      break;
    case 'run.end':
      j.final = e.status;
      break;
    case 'run.resume':
      delete j.final;
      break;
    default:
      break;
  }
}

export function foldJournal(entries: AuditEntry[]): JournalState {
  const j = emptyJournal();
  for (const e of entries) applyEvent(j, e);
  return j;
}
