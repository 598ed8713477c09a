// JSON lines, one per event, for machines.
import type { Listener } from '../engine/ports.js';

export function jsonRenderer(write: (s: string) => void = (s) => process.stdout.write(s)): Listener {
  return (e, at) => write(JSON.stringify({ ts: at.toISOString(), ...e }) + '\n');
}
