// `lifeboat snapshot diff A B`: objects added, removed and changed between two snapshots.
import { parse, oneOf } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { diffStates, type DiffEntry } from '../../snapshot/diff.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { out, table } from './common.js';

function load(path: string, prefix: string | undefined) {
  const s = Snapshot.open(path);
  try {
    return {
      state: s.state({ digests: true, ...(prefix ? { prefix } : {}) }),
      revision: s.guard(() => lastRevision(s)),
    };
  } finally {
    s.close();
  }
}

function lastRevision(s: Snapshot): number {
  let rev = 0;
  s.forEachRevision((r) => (rev = r.main));
  return rev;
}

const row = (change: string, e: DiffEntry): string[] => [
  change,
  e.object?.resource ?? '-',
  e.object?.namespace ?? '',
  e.object?.name ?? e.key,
];

export function runDiff(argv: string[]): number {
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
  const r = diffStates(a.state, b.state, { exclude: v.exclude ?? [] });
  if (fmt === 'json') {
    const slim = (e: DiffEntry) => ({
      key: e.key,
      ...e.object,
      ...(e.before ? { beforeModRevision: e.before.modRevision } : {}),
      ...(e.after ? { afterModRevision: e.after.modRevision } : {}),
    });
    out(
      JSON.stringify(
        {
          before: { file: p[0], revision: a.revision },
          after: { file: p[1], revision: b.revision },
          added: r.added.map(slim),
          removed: r.removed.map(slim),
          changed: r.changed.map(slim),
          unchanged: r.unchanged,
        },
        null,
        2,
      ),
    );
  } else {
    out(
      `${p[0]} (revision ${a.revision}) -> ${p[1]} (revision ${b.revision}): ${r.added.length} ` +
        `added, ${r.removed.length} removed, ${r.changed.length} changed, ${r.unchanged} unchanged`,
    );
    const rows = [
      ...r.removed.map((e) => row('removed', e)),
      ...r.added.map((e) => row('added', e)),
      ...r.changed.map((e) => row('changed', e)),
    ];
    if (rows.length > 0) out(table([['CHANGE', 'RESOURCE', 'NAMESPACE', 'NAME'], ...rows]));
    if (r.removed.length > 0)
      out(
        `get them back: lifeboat snapshot extract ${p[0]} --kind RESOURCE [--namespace NS] [--name NAME] --for-apply`,
      );
  }
  return EXIT.ok;
}
