// Crash points grouped into classes that exercise different resume decisions. A class is a step (state of the
// machine), a boundary kind (after an audit entry of a given type, or after a command whose result is unrecorded) and
// the host's position in the step (first, middle, last, or the only one). Inside a destructive step (one that asked
// for approval) every boundary is its own class: those are the points where doing a thing twice would hurt.

export type CrashPoint =
  | { kind: 'after-entry'; seq: number }
  | { kind: 'after-cmd'; stateId: string; member: string; index: number };

export interface CrashClass {
  /** `STEP | BOUNDARY | POSITION`, or `STEP | POINT` for a destructive step's own boundaries. */
  key: string;
  stateId: string;
  destructive: boolean;
  /** Every exhaustive point the class stands for, in the run's order. */
  points: CrashPoint[];
}

/** The fields of an audit entry the classes read. */
export interface ClassedEntry {
  seq: number;
  type: string;
  stateId?: string;
  member?: string;
  hosts?: unknown;
  index?: unknown;
  exitCode?: unknown;
}

export const pointSpec = (p: CrashPoint) =>
  p.kind === 'after-entry' ? `after-entry:${p.seq}` : `after-cmd:${p.stateId}/${p.member}/${p.index}`;

function positionOf(member: string | undefined, hosts: string[]): string {
  if (member === undefined) return 'step';
  const at = hosts.indexOf(member);
  if (hosts.length <= 1) return 'only';
  if (at === 0) return 'first';
  return at === hosts.length - 1 ? 'last' : 'middle';
}

/** Classes of an uninterrupted run's audit log (its last entry, run.end, is no point: nothing follows it). */
export function crashClasses(entries: ClassedEntry[]): CrashClass[] {
  const destructive = new Set(entries.filter((e) => e.type === 'approval').map((e) => e.stateId));
  const classes = new Map<string, CrashClass>();
  let step = 'run';
  let hosts: string[] = [];
  const add = (stateId: string, boundary: string, member: string | undefined, point: CrashPoint) => {
    const isDestructive = destructive.has(stateId);
    const key = isDestructive
      ? `${stateId} | ${pointSpec(point)}`
      : `${stateId} | ${boundary} | ${positionOf(member, hosts)}`;
    const found = classes.get(key) ?? { key, stateId, destructive: isDestructive, points: [] };
    found.points.push(point);
    classes.set(key, found);
  };
  for (const entry of entries.slice(0, -1)) {
    if (entry.type === 'step.start') {
      step = entry.stateId ?? step;
      hosts = Array.isArray(entry.hosts) ? entry.hosts.map(String) : [];
    }
    const stateId = entry.stateId ?? step;
    add(stateId, `after ${entry.type}`, entry.member, { kind: 'after-entry', seq: entry.seq });
    if (entry.type === 'cmd.end' && entry.exitCode === 0 && entry.member !== undefined)
      add(stateId, 'after-cmd', entry.member, {
        kind: 'after-cmd',
        stateId,
        member: entry.member,
        index: Number(entry.index),
      });
  }
  return [...classes.values()];
}

/** One point per class, drawn with `rand` (the class sweep). */
export function onePerClass(classes: CrashClass[], rand: () => number): CrashPoint[] {
  return classes.map((c) => c.points[Math.floor(rand() * c.points.length)]!);
}

/**
 * The sample `npm test` runs: one point inside a destructive step (so every CI run crashes a runbook where doing a
 * thing twice would hurt) and `others` points from the other classes, all drawn with `rand`.
 */
export function sampleClasses(classes: CrashClass[], rand: () => number, others: number): CrashPoint[] {
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]!;
  const destructive = classes.filter((x) => x.destructive).flatMap((c) => c.points);
  const inDestructive = destructive.length ? [pick(destructive)] : [];
  const rest = classes.filter((c) => !c.destructive);
  const chosen: CrashPoint[] = [];
  for (let i = 0; i < others && rest.length > 0; i++) {
    const at = Math.floor(rand() * rest.length);
    chosen.push(pick(rest.splice(at, 1)[0]!.points));
  }
  return [...inDestructive, ...chosen];
}
