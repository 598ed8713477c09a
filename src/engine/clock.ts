// The real clock, and the compact stamp that names things moved aside.
import type { Clock } from './ports.js';

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** A compact UTC stamp for names of things moved aside: 20261122T210501Z. */
export function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
