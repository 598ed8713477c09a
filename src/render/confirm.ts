// What a confirmation says, in words, built from the plan alone (pure): the step, where, what it changes,
// what stays down until which later step, whether it can be undone; the exact commands are one key away.
import { stepsOf, type Plan, type PlannedStep } from '../engine/plan.js';
import { describeAction } from '../engine/runner.js';
import { staysDownUntil } from '../engine/leftover.js';

export { staysDownUntil };

export interface ConfirmContext {
  plan: Plan;
  step: PlannedStep;
}

const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s);

function wrapTo(text: string, w: number, max: number, indent: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + word.length > w) {
      out.push(cur);
      cur = indent + word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  if (out.length > max) out.splice(max - 1, out.length, cut(`${out[max - 1]} …`, w));
  return out.map((l) => cut(l, w));
}

function undo(step: PlannedStep): string {
  const what = `${step.id} ${step.title} ${step.changes ?? ''}`.toLowerCase();
  if (/aside|copy|backup|back up/.test(what))
    return 'yes: the old data is moved aside with a timestamp, never deleted; move it back to undo';
  if (/^stop-/.test(step.id)) return 'yes: start it again (a later step does)';
  if (/flag|config|manifest|point|initial-cluster/.test(what))
    return 'by hand: the previous file is kept aside with a timestamp';
  return 'not automatically; a resume re-checks the step before running it again';
}

/** The confirmation's lines, each at most `width` columns; fits in 15 lines. */
export function confirmationLines(c: ConfirmContext, width = 120): string[] {
  const { plan, step } = c;
  const steps = stepsOf(plan);
  const n = steps.findIndex((s) => s.stateId === step.stateId) + 1;
  const hosts = step.hosts.map((h) => h.member);
  const until = staysDownUntil(plan, step);
  const untilN = until ? steps.findIndex((s) => s.stateId === until.stateId) + 1 : 0;
  const cmds = step.hosts.reduce((k, h) => k + h.actions.length, 0);
  const lines = [
    cut(`⚠ DESTRUCTIVE — step ${n} of ${steps.length} · ${step.phaseTitle}`, width),
    ...wrapTo(step.title, width, 2, '  '),
    cut(
      `Where:   ${hosts.join(', ') || 'this machine'}` +
        `${hosts.length > 1 ? (step.parallel ? ' (in parallel)' : ' (one after another)') : ''}`,
      width,
    ),
    ...wrapTo(`Changes: ${step.changes ?? step.title}`, width, 3, '         '),
    cut(
      `Down:    ${until ? `stays down until step ${untilN} "${until.title}"` : 'nothing is left stopped by this step'}`,
      width,
    ),
    cut(`Undo:    ${undo(step)}`, width),
    cut(`Commands: ${cmds} on ${hosts.length || 1} host(s) — press d to see them`, width),
    cut(
      '[y] run it   [n] stop here (resumable, exit 4)   [d] show the commands   [a] abort the run (exit 5)',
      width,
    ),
  ];
  return lines;
}

/** The exact commands per host, identical lists shown once with the hosts that share them. */
export function commandGroups(step: PlannedStep, redact: (s: string) => string = (s) => s): string[] {
  const groups = new Map<string, string[]>();
  for (const h of step.hosts) {
    const body = h.actions.map((a) => redact(describeAction(a))).join('\n');
    groups.set(body, [...(groups.get(body) ?? []), h.member]);
  }
  const out: string[] = [];
  for (const [body, members] of groups) {
    out.push(`── ${members.join(', ')}${members.length > 1 ? ' (identical)' : ''}`);
    out.push(...body.split('\n').map((l) => `   ${l}`));
  }
  if (step.local) out.push(`── this machine`, `   ${step.local}`);
  return out;
}
