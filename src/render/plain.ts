// Plain timestamped lines, for CI and pipes.
import type { Listener } from '../engine/ports.js';
import { formatEvent } from './format.js';

export function plainRenderer(write: (s: string) => void = (s) => process.stderr.write(s)): Listener {
  return (e, at) => {
    const text = formatEvent(e);
    if (text === undefined) return;
    const ts = at.toISOString().slice(11, 19);
    for (const line of text.split('\n')) write(`${ts} ${line}\n`);
  };
}
