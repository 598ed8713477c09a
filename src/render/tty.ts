// listr2 progress on a terminal: one task per step while it runs; other events print as lines between tasks.
import { Listr } from 'listr2';
import type { Listener } from '../engine/ports.js';
import { stepsOf, type Plan } from '../engine/plan.js';
import { formatEvent } from './format.js';

interface Running {
  resolve: () => void;
  reject: (e: Error) => void;
  skip: () => void;
  output: (s: string) => void;
}

const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, Math.max(1, w - 1))}…` : s);
const clock = (ms: number) => {
  const sec = Math.max(0, Math.floor(ms / 1000));
  const mmss = `${Math.floor(sec / 60) % 60}:${String(sec % 60).padStart(2, '0')}`;
  return sec >= 3600 ? `${Math.floor(sec / 3600)}:${mmss.padStart(5, '0')}` : mmss;
};

/** A step's progress line: phase, step N of M, elapsed time since the run started, then the step; one line. */
export function stepHeader(o: {
  plan?: Plan;
  stateId: string;
  title: string;
  hosts: string[];
  elapsedMs: number;
  width: number;
}): string {
  const steps = o.plan ? stepsOf(o.plan) : [];
  const i = steps.findIndex((s) => s.stateId === o.stateId);
  // The phase is cut short so the step itself stays on the line.
  const head =
    i >= 0
      ? `step ${i + 1} of ${steps.length} · ${clock(o.elapsedMs)} · ${cut(steps[i]!.phaseTitle, 28)}`
      : `step · ${clock(o.elapsedMs)}`;
  const hosts = o.hosts.length ? ` [${o.hosts.join(', ')}]` : '';
  return cut(`[${head}] ${o.stateId}: ${o.title}${hosts}`, o.width);
}

/** Command lines show only with verbose (-v); titles are cut to the terminal so the display redraws in place. */
export function ttyRenderer(o: { verbose?: boolean } = {}): {
  listener: Listener;
  idle: () => Promise<void>;
  /** The plan gives "of M" and the phase; `startedAt` (a resume) makes the elapsed time the run's. */
  showPlan: (plan: Plan, startedAt?: number) => void;
} {
  let running: Promise<void> = Promise.resolve();
  let current: Running | undefined;
  let thePlan: Plan | undefined;
  let t0: number | undefined;
  const listener: Listener = (e, at) => {
    t0 ??= at.getTime();
    if (e.type === 'cmd.start' && !o.verbose) return;
    if (e.type === 'step.start') {
      // Room for listr's symbol, its indent and a spinner, so the line never wraps and redraws in place.
      const width = (process.stderr.columns || 80) - 6;
      let output: (s: string) => void = () => undefined;
      let skip = () => undefined as void;
      const done = new Promise<void>((resolve, reject) => {
        current = { resolve, reject, skip: () => skip(), output: (s) => output(s) };
      });
      const list = new Listr(
        [
          {
            title: stepHeader({
              ...(thePlan ? { plan: thePlan } : {}),
              stateId: e.stateId,
              title: e.title,
              hosts: e.hosts,
              elapsedMs: at.getTime() - t0,
              width,
            }),
            task: async (_ctx, task) => {
              output = (s) => (task.output = s);
              skip = () => task.skip();
              await done;
            },
          },
        ],
        // Lifeboat handles SIGINT itself (recorded, exit 130): listr2's own handler would exit 127 mid-line.
        {
          exitOnError: true,
          registerSignalListeners: false,
          rendererOptions: { collapseErrors: false, formatOutput: 'truncate' },
        },
      );
      running = running
        .then(() => list.run())
        .then(
          () => undefined,
          () => undefined,
        );
      return;
    }
    if (
      current &&
      (e.type === 'cmd.start' ||
        e.type === 'verify' ||
        e.type === 'host.check' ||
        e.type === 'host.end' ||
        e.type === 'cmd.end')
    ) {
      const line = formatEvent(e);
      if (line) current.output(cut(line.trim(), (process.stderr.columns || 80) - 6));
      return;
    }
    if (e.type === 'interrupt' && current) {
      current.reject(new Error(`interrupted by ${e.signal}`));
      current = undefined;
    }
    if (e.type === 'step.end' && current) {
      const c = current;
      current = undefined;
      if (e.status === 'done') c.resolve();
      else if (e.status === 'skipped') {
        c.skip();
        c.resolve();
      } else c.reject(new Error(e.error ?? 'failed'));
      return;
    }
    const line = formatEvent(e);
    if (line) running = running.then(() => void process.stderr.write(line + '\n'));
  };
  const showPlan = (plan: Plan, startedAt?: number) => {
    thePlan = plan;
    if (startedAt !== undefined && Number.isFinite(startedAt)) t0 = startedAt;
  };
  return { listener, idle: () => running, showPlan };
}
