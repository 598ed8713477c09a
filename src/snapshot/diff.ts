// What changed between two states of the store: keys added, removed, and changed (by value digest).
import { parseRegistryKey, type ObjectKey } from './keys.js';
import type { LiveKey } from './snapshot.js';

export interface DiffEntry {
  key: string;
  object?: ObjectKey;
  before?: LiveKey;
  after?: LiveKey;
}

export interface DiffReport {
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: DiffEntry[];
  unchanged: number;
}

export function diffStates(
  before: Map<string, LiveKey>,
  after: Map<string, LiveKey>,
  opts: { prefix?: string; exclude?: string[] } = {},
): DiffReport {
  const r: DiffReport = { added: [], removed: [], changed: [], unchanged: 0 };
  const excluded = (key: string) => {
    const o = parseRegistryKey(key, opts.prefix);
    return o !== undefined && (opts.exclude ?? []).includes(o.resource);
  };
  const entry = (key: string, b?: LiveKey, a?: LiveKey): DiffEntry => {
    const object = parseRegistryKey(key, opts.prefix);
    return { key, ...(object ? { object } : {}), ...(b ? { before: b } : {}), ...(a ? { after: a } : {}) };
  };
  for (const [key, b] of before) {
    if (excluded(key)) continue;
    const a = after.get(key);
    if (!a) r.removed.push(entry(key, b));
    else if (a.digest !== b.digest) r.changed.push(entry(key, b, a));
    else r.unchanged++;
  }
  for (const [key, a] of after)
    if (!before.has(key) && !excluded(key)) r.added.push(entry(key, undefined, a));
  const byKey = (x: DiffEntry, y: DiffEntry) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
  r.added.sort(byKey);
  r.removed.sort(byKey);
  r.changed.sort(byKey);
  return r;
}
