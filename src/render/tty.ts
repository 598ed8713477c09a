// listr2 progress on a terminal: one task per step while it runs; other events print as lines between tasks.
import { Listr } from 'listr2';
import type { Listener } from '../engine/ports.js';
import { formatEvent } from './format.js';

interface Running {
  resolve: () => void;
  reject: (e: Error) => void;
  skip: () => void;
  output: (s: string) => void;
}

const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, Math.max(1, w - 1))}…` : s);
const clock = (ms: number) =>
  `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;

/** Command lines show only with verbose (-v); titles are cut to the terminal so the display redraws in place. */
export function ttyRenderer(o: { verbose?: boolean } = {}): {
  listener: Listener;
  idle: () => Promise<void>;
} {
  let running: Promise<void> = Promise.resolve();
  let current: Running | undefined;
  const seen: string[] = [];
  let t0: number | undefined;
  const listener: Listener = (e, at) => {
    t0 ??= at.getTime();
    if (e.type === 'cmd.start' && !o.verbose) return;
    if (e.type === 'step.start') {
      if (!seen.includes(e.stateId)) seen.push(e.stateId);
      const head = `[step ${seen.indexOf(e.stateId) + 1} · ${clock(at.getTime() - t0)}] `;
      const width = (process.stderr.columns || 80) - 12;
      let output: (s: string) => void = () => undefined;
      let skip = () => undefined as void;
      const done = new Promise<void>((resolve, reject) => {
        current = { resolve, reject, skip: () => skip(), output: (s) => output(s) };
      });
      const list = new Listr(
        [
          {
            title: cut(
              `${head}${e.stateId}: ${e.title}${e.hosts.length ? ` [${e.hosts.join(', ')}]` : ''}`,
              width,
            ),
            task: async (_ctx, task) => {
              output = (s) => (task.output = s);
              skip = () => task.skip();
              await done;
            },
          },
        ],
        { exitOnError: true, rendererOptions: { collapseErrors: false, formatOutput: 'truncate' } },
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
  return { listener, idle: () => running };
}
