// `lifeboat snapshot leases FILE [--rev N] [-o text|json]`: leases with their TTLs and the keys attached.
import { parse, oneOf } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { leases } from '../../snapshot/leases.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { out, revFlag, table } from './common.js';

export function runLeases(argv: string[]): number {
  const { values: flags, positionals: args } = parse('snapshot leases', argv, {
    rev: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (args.length !== 1)
    throw usage('snapshot leases: give one FILE', 'lifeboat snapshot leases FILE [-o json]');
  const fmt = oneOf('snapshot leases', 'output', flags.output, ['text', 'json'] as const, 'text');
  const rev = revFlag('snapshot leases', flags.rev);
  const snap = Snapshot.open(args[0]!);
  try {
    const r = leases(snap, rev);
    if (fmt === 'json') out(JSON.stringify(r, null, 2));
    else {
      const rows = r.leases.map((l) => [
        l.id,
        String(l.ttl),
        l.remainingTtl === undefined ? '-' : String(l.remainingTtl),
        String(l.keys.length),
        l.keys.slice(0, 3).join(' ') + (l.keys.length > 3 ? ' ...' : ''),
      ]);
      out(
        table([['LEASE', 'TTL', 'REMAINING', 'KEYS', 'ATTACHED'], ...rows]) +
          (r.orphanKeys.length
            ? `\n${r.orphanKeys.length} key(snap) name a lease that is not in the snapshot`
            : ''),
      );
    }
    return EXIT.ok;
  } finally {
    snap.close();
  }
}
