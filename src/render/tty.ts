// listr2 progress on a terminal: one task per step while it runs; other events print as lines between tasks.
import { Listr } from 'listr2';
import type { Listener } from '../engine/events.js';
import { formatEvent } from './format.js';

interface Running {
  resolve: () => void;
  reject: (e: Error) => void;
  skip: () => void;
  output: (s: string) => void;
}

export function ttyRenderer(): { listener: Listener; idle: () => Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let current: Running | undefined;
  const listener: Listener = (e) => {
    if (e.type === 'step.start') {
      let output: (s: string) => void = () => undefined;
      let skip = () => undefined as void;
      const done = new Promise<void>((resolve, reject) => {
        current = { resolve, reject, skip: () => skip(), output: (s) => output(s) };
      });
      const list = new Listr(
        [
          {
            title: `${e.stateId}: ${e.title}${e.hosts.length ? ` [${e.hosts.join(', ')}]` : ''}`,
            task: async (_ctx, task) => {
              output = (s) => (task.output = s);
              skip = () => task.skip();
              await done;
            },
          },
        ],
        { exitOnError: true, rendererOptions: { collapseErrors: false } },
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
      if (line) current.output(line.trim());
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
