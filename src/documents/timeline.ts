// What a run did, folded from its audit log: per step and host, times, approvals, failures, retries.
import type { AuditEntry } from '../engine/record/audit.js';

export interface StepLine {
  stateId: string;
  title: string;
  start?: string;
  end?: string;
  durationMs?: number;
  status: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  hosts: Record<string, { status: string; durationMs?: number }>;
  approvals: string[];
  retries: number;
  error?: string;
}

export interface Timeline {
  runId?: string;
  runbook?: string;
  cluster?: string;
  operator?: string;
  started?: string;
  ended?: string;
  status: string;
  steps: StepLine[];
  decisions: Array<{ stateId: string; branch: string; why: string; at: string }>;
  warnings: string[];
  resumes: Array<{ at: string; by: string; from: string }>;
  skips: Array<{ stateId: string; by: string; at: string }>;
  visited: Set<string>;
}

export function timeline(entries: AuditEntry[]): Timeline {
  const t: Timeline = {
    status: 'running',
    steps: [],
    decisions: [],
    warnings: [],
    resumes: [],
    skips: [],
    visited: new Set(),
  };
  const step = (id: string) => {
    let s = t.steps.find((x) => x.stateId === id);
    if (!s)
      t.steps.push((s = { stateId: id, title: id, status: 'pending', hosts: {}, approvals: [], retries: 0 }));
    return s;
  };
  for (const e of entries) {
    switch (e.type) {
      case 'run.start':
        Object.assign(t, {
          runId: e.runId,
          runbook: e.runbook,
          cluster: e.cluster,
          started: e.ts,
          operator:
            `${e.operator.user}${e.operator.sudoUser ? ` (sudo by ${e.operator.sudoUser})` : ''}` +
            `@${e.operator.host}`,
        });
        break;
      case 'run.resume':
        t.resumes.push({ at: e.ts, by: e.by, from: e.from });
        t.status = 'running';
        break;
      case 'warning':
        t.warnings.push(e.message);
        break;
      case 'decision':
        t.decisions.push({ stateId: e.stateId, branch: e.branch, why: e.why, at: e.ts });
        t.visited.add(e.stateId);
        break;
      case 'step.start': {
        const s = step(e.stateId);
        s.title = e.title;
        s.start ??= e.ts;
        s.status = 'running';
        t.visited.add(e.stateId);
        break;
      }
      case 'approval':
        step(e.stateId).approvals.push(`${e.by} (${e.how}) at ${e.ts}`);
        break;
      case 'host.end':
        step(e.stateId).hosts[e.member] = { status: e.status, durationMs: e.durationMs };
        break;
      case 'retry':
        step(e.stateId).retries++;
        break;
      case 'skip':
        t.skips.push({ stateId: e.stateId, by: e.by, at: e.ts });
        break;
      case 'step.end': {
        const s = step(e.stateId);
        s.end = e.ts;
        s.status = e.status;
        if (s.start) s.durationMs = Date.parse(e.ts) - Date.parse(s.start);
        if (e.error) s.error = e.error;
        t.visited.add(e.stateId);
        break;
      }
      case 'transition':
        t.visited.add(e.to);
        break;
      case 'run.end':
        t.status = e.status;
        t.ended = e.ts;
        break;
      default:
        break;
    }
  }
  return t;
}
