// What a run that ends early leaves behind (pure): stopped services and changes on each host, with the commands
// that undo them, read from the plan and the journal alone.
import { describeAction } from './actions.js';
import type { LeftBehind } from './events.js';
import { stepsOf, type Plan, type PlannedStep } from './plan.js';
import { hostKey, type JournalState } from './record/journal.js';

/** The later step that brings back what this one stops (stop-X → start-X, or the next start-…). */
export function staysDownUntil(plan: Plan, step: PlannedStep): PlannedStep | undefined {
  const m = /^stop-(.+)$/.exec(step.id);
  if (!m) return undefined;
  const all = stepsOf(plan);
  const later = all.slice(all.findIndex((s) => s.stateId === step.stateId) + 1);
  return later.find((s) => s.id === `start-${m[1]}`) ?? later.find((s) => s.id.startsWith('start'));
}

/** Hosts on which the step ran, or began to run (an interrupted stop may have stopped something). */
function touched(journal: JournalState, step: PlannedStep): string[] {
  const whole = journal.steps.get(step.stateId);
  if (!whole?.started) return [];
  if (whole.ended === 'done') return step.hosts.map((h) => h.member);
  return step.hosts.map((h) => h.member).filter((m) => journal.hosts.get(hostKey(step.stateId, m))?.started);
}

const ranToEnd = (journal: JournalState, step: PlannedStep | undefined) =>
  step !== undefined && ['done', 'skipped'].includes(journal.steps.get(step.stateId)?.ended ?? '');

/** A stopped service whose start step has not run: the start step's own commands on that host undo it. */
function stopped(plan: Plan, journal: JournalState, step: PlannedStep): LeftBehind[] {
  const until = staysDownUntil(plan, step);
  if (ranToEnd(journal, until)) return [];
  return touched(journal, step).map((member) => ({
    member,
    stateId: step.stateId,
    what: `stopped: ${step.title}`,
    undo: until?.hosts.find((h) => h.member === member)?.actions.map(describeAction) ?? [],
  }));
}

/** A destructive change that was made: named with what it changed (its files are kept aside, never deleted). */
function changed(journal: JournalState, step: PlannedStep): LeftBehind[] {
  return touched(journal, step).map((member) => ({
    member,
    stateId: step.stateId,
    what: `changed: ${step.changes ?? step.title}`,
    undo: [],
  }));
}

export function leftBehind(plan: Plan, journal: JournalState): LeftBehind[] {
  return stepsOf(plan).flatMap((step) =>
    /^stop-/.test(step.id)
      ? stopped(plan, journal, step)
      : step.destructive && journal.steps.get(step.stateId)?.ended !== 'skipped'
        ? changed(journal, step)
        : [],
  );
}
