// `lifeboat snapshot verify FILE`: appended sha256, bbolt structure, MVCC records.
import { parse, oneOf } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { verify } from '../../snapshot/verify.js';
import { human, out, warn } from './common.js';

export function runVerify(argv: string[]): number {
  const { values: v, positionals: p } = parse('snapshot verify', argv, {
    output: { type: 'string', short: 'o' },
  });
  if (p.length !== 1) throw usage('snapshot verify: give one FILE', 'lifeboat snapshot verify FILE');
  const fmt = oneOf('snapshot verify', 'output', v.output, ['text', 'json'] as const, 'text');
  const s = Snapshot.open(p[0]!);
  try {
    const r = verify(s);
    if (fmt === 'json') out(JSON.stringify(r, null, 2));
    if (r.sha256 === 'mismatch')
      throw badInput(
        `${s.path}: sha256 mismatch: the file changed after \`snapshot save\` (expected ` +
          `${r.expectedSha256?.slice(0, 16)}…, got ${r.actualSha256?.slice(0, 16)}…)`,
        'copy it again from its source or take a fresh snapshot',
      );
    if (r.problems.length > 0)
      throw badInput(
        `${s.path}: damaged bbolt database: ${r.problems.slice(0, 3).join('; ')}`,
        'take a fresh snapshot; do not restore this file',
      );
    if (fmt === 'text') {
      out(
        `${s.path}: OK — etcd snapshot, ${human(r.fileSize)}, revision ${r.revision}, ` +
          `${r.revisions} key revisions, bbolt structure intact`,
      );
      if (r.sha256 === 'ok') out(`sha256 appended by \`etcdctl snapshot save\`: matches (${r.actualSha256})`);
    }
    if (r.sha256 === 'absent')
      warn(
        `${s.path}: no sha256 appended: this is a raw member/snap/db copy, not \`etcdctl snapshot ` +
          `save\` output; \`etcdctl snapshot restore\` needs --skip-hash-check for it`,
      );
    return EXIT.ok;
  } finally {
    s.close();
  }
}
