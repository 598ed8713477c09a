// `lifeboat snapshot ls FILE [PREFIX] [--rev N]`: live keys with their revisions, written as they are formatted.
import { parse, oneOf } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { liveIndex, type LiveIndex } from '../../snapshot/live-index.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { revFlag, streamTable, writeChunked } from './common.js';

export async function runLs(argv: string[]): Promise<number> {
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
  let index: LiveIndex;
  try {
    index = s.guard(() => liveIndex(s, { ...(rev ? { rev } : {}), ...(p[1] ? { prefix: p[1] } : {}) }));
  } finally {
    s.close();
  }
  if (fmt === 'json') await writeChunked(jsonLines(index));
  else if (index.keys.length > 0)
    await streamTable(['MOD_REV', 'CREATE_REV', 'VERSION', 'KEY'], index.keys.length, (i) => [
      String(index.modRevision[i]),
      String(index.createRevision[i]),
      String(index.version[i]),
      index.keys[i]!,
    ]);
  return EXIT.ok;
}

/** The same text as JSON.stringify(keys, null, 2), one key at a time. */
function* jsonLines(x: LiveIndex): Generator<string> {
  if (x.keys.length === 0) return yield '[]\n';
  yield '[\n';
  for (let i = 0; i < x.keys.length; i++)
    yield (
      `  {\n    "key": ${JSON.stringify(x.keys[i])},\n    "createRevision": ${x.createRevision[i]},\n` +
      `    "modRevision": ${x.modRevision[i]},\n    "version": ${x.version[i]},\n    "lease": ${x.lease[i]}\n` +
      `  }${i + 1 < x.keys.length ? ',' : ''}\n`
    );
  yield ']\n';
}
