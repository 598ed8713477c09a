// `lifeboat snapshot inspect FILE [--output json]`.
import { parse, oneOf } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { inspectParallel, type InspectReport } from '../../snapshot/inspect.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { human, out, table } from './common.js';

export function formatInspect(r: InspectReport): string {
  const lines = [
    `File:               ${r.file} (${human(r.fileSize)}, page size ${r.pageSize})`,
    `sha256 appended:    ` +
      `${r.hasHash ? 'yes (check it with `lifeboat snapshot verify`)' : 'no: raw member/snap/db copy (restore needs --skip-hash-check)'}`,
    `Revision:           ${r.revision}`,
    `Compacted revision: ${r.compactedRevision ?? 'none'}` +
      `${r.scheduledCompactRevision !== null && r.scheduledCompactRevision !== r.compactedRevision ? ` (scheduled ${r.scheduledCompactRevision})` : ''}`,
    `Consistent index:   ${r.consistentIndex ?? 'unknown'}`,
    `Storage version:    ` +
      (r.storageVersion ?? 'none (written by etcd 3.5 or older, or before the cluster reached 3.6)'),
    `Total keys:         ${r.totalKeys} ` +
      (r.totalKeysAs === 'live'
        ? `(live keys, as etcdutl ${r.storageVersion} snapshot status counts)`
        : '(bbolt entries in all buckets, as etcdutl/etcdctl 3.5 snapshot status counts)'),
    `Hash:               ` +
      `${r.hash ?? 'not computed (--hash computes the CRC-32C etcdctl snapshot status shows)'}` +
      `${r.hash !== null ? ' (CRC-32C, as etcdctl snapshot status)' : ''}`,
    `Key revisions:      ${r.revisions} (${r.tombstones} deletions)`,
    `Live keys:          ${r.liveKeys}${r.otherKeys ? ` (${r.otherKeys} outside /registry/<resource>/)` : ''}`,
    '',
    table([['RESOURCE', 'COUNT'], ...Object.entries(r.perResource).map(([k, n]) => [k, String(n)])]),
  ];
  if (Object.keys(r.perNamespace).length > 0)
    lines.push(
      '',
      table([['NAMESPACE', 'OBJECTS'], ...Object.entries(r.perNamespace).map(([k, n]) => [k, String(n)])]),
    );
  return lines.join('\n');
}

export async function runInspect(argv: string[]): Promise<number> {
  const { values: v, positionals: p } = parse('snapshot inspect', argv, {
    output: { type: 'string', short: 'o' },
    hash: { type: 'boolean' },
    prefix: { type: 'string' },
  });
  if (p.length !== 1)
    throw usage('snapshot inspect: give one FILE', 'lifeboat snapshot inspect FILE [--output json] [--hash]');
  const fmt = oneOf('snapshot inspect', 'output', v.output, ['text', 'json'] as const, 'text');
  const s = Snapshot.open(p[0]!);
  try {
    const r = await inspectParallel(s, { hash: v.hash === true, ...(v.prefix ? { prefix: v.prefix } : {}) });
    out(fmt === 'json' ? JSON.stringify(r, null, 2) : formatInspect(r));
    return EXIT.ok;
  } finally {
    s.close();
  }
}
