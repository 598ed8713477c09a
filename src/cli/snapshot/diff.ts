// `lifeboat snapshot diff A B`: objects added, removed and changed between two snapshots, written as formatted.
import { parse, oneOf } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { parseRegistryKey } from '../../snapshot/keys.js';
import { diffIndexes, liveIndex, type IndexDiff, type LiveIndex } from '../../snapshot/live-index.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { out, streamTable, writeChunked } from './common.js';

function load(path: string, prefix: string | undefined): LiveIndex {
  const s = Snapshot.open(path);
  try {
    return s.guard(() => liveIndex(s, { digests: true, ...(prefix ? { prefix } : {}) }));
  } finally {
    s.close();
  }
}

/** Row i of the table: removed keys first, then added, then changed (each in key order). */
function change(d: IndexDiff, a: LiveIndex, b: LiveIndex, i: number): [string, string] {
  if (i < d.removed.length) return ['removed', a.keys[d.removed[i]!]!];
  const j = i - d.removed.length;
  if (j < d.added.length) return ['added', b.keys[d.added[j]!]!];
  return ['changed', b.keys[d.changed[j - d.added.length]!]!];
}

export async function runDiff(argv: string[]): Promise<number> {
  const { values: v, positionals: p } = parse('snapshot diff', argv, {
    output: { type: 'string', short: 'o' },
    prefix: { type: 'string' },
    exclude: { type: 'string', multiple: true },
  });
  if (p.length !== 2)
    throw usage(
      'snapshot diff: give two snapshot files, older first',
      'lifeboat snapshot diff BEFORE.db AFTER.db (for a live cluster: take a fresh `etcdctl ' +
        'snapshot save` and diff against it)',
    );
  const fmt = oneOf('snapshot diff', 'output', v.output, ['text', 'json'] as const, 'text');
  const a = load(p[0]!, v.prefix);
  const b = load(p[1]!, v.prefix);
  const exclude = new Set(v.exclude ?? []);
  const d = diffIndexes(a, b, (key) => exclude.has(parseRegistryKey(key)?.resource ?? '\0'));
  if (fmt === 'json') await writeChunked(jsonText(p[0]!, p[1]!, a, b, d));
  else {
    out(
      `${p[0]} (revision ${a.revision}) -> ${p[1]} (revision ${b.revision}): ${d.added.length} ` +
        `added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`,
    );
    const rows = d.removed.length + d.added.length + d.changed.length;
    if (rows > 0)
      await streamTable(['CHANGE', 'RESOURCE', 'NAMESPACE', 'NAME'], rows, (i) => {
        const [what, key] = change(d, a, b, i);
        const o = parseRegistryKey(key);
        return [what, o?.resource ?? '-', o?.namespace ?? '', o?.name ?? key];
      });
    if (d.removed.length > 0)
      out(
        `get them back: lifeboat snapshot extract ${p[0]} --kind RESOURCE [--namespace NS] [--name NAME] --for-apply`,
      );
  }
  return EXIT.ok;
}

/** The JSON report, one entry at a time: {before, after, added, removed, changed, unchanged}. */
function* jsonText(
  fileA: string,
  fileB: string,
  a: LiveIndex,
  b: LiveIndex,
  d: IndexDiff,
): Generator<string> {
  const side = (file: string, x: LiveIndex) => JSON.stringify({ file, revision: x.revision });
  yield `{\n  "before": ${side(fileA, a)},\n  "after": ${side(fileB, b)},\n`;
  const lists: [string, number[], (i: number, n: number) => string][] = [
    ['added', d.added, (i) => entry(b.keys[i]!, undefined, b.modRevision[i])],
    ['removed', d.removed, (i) => entry(a.keys[i]!, a.modRevision[i], undefined)],
    ['changed', d.changed, (i, n) => entry(b.keys[i]!, a.modRevision[d.changedBefore[n]!], b.modRevision[i])],
  ];
  for (const [name, list, show] of lists) {
    yield `  "${name}": [`;
    for (let n = 0; n < list.length; n++) yield `${n ? ',' : ''}\n    ${show(list[n]!, n)}`;
    yield list.length ? '\n  ],\n' : '],\n';
  }
  yield `  "unchanged": ${d.unchanged}\n}\n`;
}

function entry(key: string, before: number | undefined, after: number | undefined): string {
  return JSON.stringify({
    key,
    ...parseRegistryKey(key),
    ...(before !== undefined ? { beforeModRevision: before } : {}),
    ...(after !== undefined ? { afterModRevision: after } : {}),
  });
}
