// `lifeboat snapshot checksum FILE [--rev N] [-o text|json]`: the keyspace hash etcd's HashKV gives at a revision.
import { parse, oneOf } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { keyspaceHash } from '../../snapshot/checksum.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { out, revFlag } from './common.js';

export function runChecksum(argv: string[]): number {
  const { values: flags, positionals: args } = parse('snapshot checksum', argv, {
    rev: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (args.length !== 1)
    throw usage('snapshot checksum: give one FILE', 'lifeboat snapshot checksum FILE [--rev N]');
  const fmt = oneOf('snapshot checksum', 'output', flags.output, ['text', 'json'] as const, 'text');
  const rev = revFlag('snapshot checksum', flags.rev);
  const snap = Snapshot.open(args[0]!);
  try {
    const h = keyspaceHash(snap, rev);
    if (rev !== undefined && rev <= h.compactRevision)
      throw badInput(
        `${args[0]!}: revision ${rev} was compacted (compacted revision ${h.compactRevision})`,
        `use --rev ${h.compactRevision + 1} or later (etcd answers 'required revision has been compacted' too)`,
      );
    if (fmt === 'json') out(JSON.stringify(h, null, 2));
    else
      out(
        `hash ${h.hash} at revision ${h.revision} (compacted revision ${h.compactRevision}, ${h.entries} revisions): ` +
          `compare with 'etcdctl endpoint hashkv --rev ${h.revision}' on a member that has not compacted past it`,
      );
    return EXIT.ok;
  } finally {
    snap.close();
  }
}
