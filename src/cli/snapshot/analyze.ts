// `lifeboat snapshot analyze FILE [--top N] [-o text|json]`: what holds the space ("what filled the quota?").
import { parse, oneOf } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { analyze, type AnalyzeReport, type Usage } from '../../snapshot/analyze.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { human, out, table } from './common.js';

const HEAD = ['OBJECTS', 'LIVE', 'REVISIONS', 'STORED', 'SHARE'];
const cells = (u: Usage, total: number) => [
  String(u.objects),
  human(u.liveBytes),
  String(u.revisions),
  human(u.bytes),
  `${total ? ((u.bytes / total) * 100).toFixed(1) : '0.0'} %`,
];

export function formatAnalyze(r: AnalyzeReport, top: number): string {
  return [
    `File:        ${r.file} (db ${human(r.dbSize)})`,
    `Revision:    ${r.revision} (compacted: ${r.compactedRevision ?? 'never'})`,
    `Stored:      ${human(r.bytes)} in ${r.revisions} revisions (${r.tombstones} deletions); ` +
      `live ${human(r.liveBytes)} in ${r.liveKeys} keys`,
    `Verdict:     ${r.verdict}`,
    '',
    table([
      ['RESOURCE', ...HEAD],
      ...r.byResource.slice(0, top).map((x) => [x.resource, ...cells(x, r.bytes)]),
    ]),
    '',
    table([
      ['NAMESPACE', ...HEAD],
      ...r.byNamespace.slice(0, top).map((x) => [x.namespace, ...cells(x, r.bytes)]),
    ]),
    '',
    table([['LARGEST LIVE KEY', 'SIZE'], ...r.largest.map((x) => [x.key, human(x.bytes)])]),
    '',
    table([
      ['MOST HISTORY', 'REVISIONS', 'STORED', 'LIVE'],
      ...r.mostRevisions.map((x) => [x.key, String(x.revisions), human(x.bytes), x.live ? 'yes' : 'deleted']),
    ]),
  ].join('\n');
}

export function runAnalyze(argv: string[]): number {
  const { values: flags, positionals: args } = parse('snapshot analyze', argv, {
    output: { type: 'string', short: 'o' },
    top: { type: 'string' },
  });
  if (args.length !== 1)
    throw usage('snapshot analyze: give one FILE', 'lifeboat snapshot analyze FILE [--top N]');
  const fmt = oneOf('snapshot analyze', 'output', flags.output, ['text', 'json'] as const, 'text');
  const top = flags.top === undefined ? 10 : Number(flags.top);
  if (!Number.isSafeInteger(top) || top <= 0)
    throw usage(`snapshot analyze: --top '${flags.top}' is not a positive number`, 'use e.g. --top 20');
  const snap = Snapshot.open(args[0]!);
  try {
    const r = analyze(snap, { top });
    out(fmt === 'json' ? JSON.stringify(r, null, 2) : formatAnalyze(r, top));
    return EXIT.ok;
  } finally {
    snap.close();
  }
}
