// `lifeboat snapshot ls FILE [PREFIX] [--rev N]`: live keys with their revisions.
import { parse, oneOf } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { out, revFlag, table } from './common.js';

export function runLs(argv: string[]): number {
  const { values: v, positionals: p } = parse('snapshot ls', argv, {
    rev: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (p.length < 1 || p.length > 2)
    throw usage(
      'snapshot ls: give FILE and optionally a key PREFIX',
      'lifeboat snapshot ls FILE [PREFIX] [--rev N]',
    );
  const fmt = oneOf('snapshot ls', 'output', v.output, ['text', 'json'] as const, 'text');
  const rev = revFlag('snapshot ls', v.rev);
  const s = Snapshot.open(p[0]!);
  try {
    const state = s.state({ ...(rev ? { rev } : {}), ...(p[1] ? { prefix: p[1] } : {}), digests: false });
    const keys = [...state.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (fmt === 'json') out(JSON.stringify(keys, null, 2));
    else if (keys.length > 0)
      out(
        table([
          ['MOD_REV', 'CREATE_REV', 'VERSION', 'KEY'],
          ...keys.map((k) => [String(k.modRevision), String(k.createRevision), String(k.version), k.key]),
        ]),
      );
    return EXIT.ok;
  } finally {
    s.close();
  }
}
