// `lifeboat audit verify RUN_DIR`: detects any edited, removed or reordered line; prints the head hash.
import { parse } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { readAudit, verifyAudit } from '../../engine/audit.js';
import { runFiles } from '../../engine/rundir.js';
import { existsSync } from 'node:fs';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('audit', argv, { 'expect-head': { type: 'string' } });
  if (values.help)
    return (
      void process.stdout.write('Usage: lifeboat audit verify RUN_DIR [--expect-head HASH]\n'),
      EXIT.ok
    );
  const expected = values['expect-head'];
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected))
    throw usage('audit: --expect-head takes the 64-hex head hash printed at the end of a run');
  const [sub, dir] = positionals;
  if (sub !== 'verify' || !dir)
    throw usage('audit: expected `audit verify RUN_DIR`', "run 'lifeboat audit --help'");
  const f = runFiles(dir).audit;
  if (!existsSync(f))
    throw badInput(`run dir ${dir} has no audit.jsonl`, 'give the directory printed by lifeboat run');
  const r = verifyAudit(f);
  if (!r.ok) {
    process.stderr.write(`audit ${f}: BROKEN at line ${r.line}: ${r.reason}\n`);
    return EXIT.failed;
  }
  if (expected !== undefined && r.head !== expected) {
    const at = readAudit(f).findIndex((e) => e.hash === expected);
    process.stderr.write(
      at >= 0
        ? `audit ${f}: the anchor ${expected.slice(0, 16)}… is entry ${at + 1}; the log has ${r.entries - at - 1} entries after it\n`
        : `audit ${f}: head ${r.head} is not the anchor ${expected}: the log is shorter than its anchor (lines cut off) or was rewritten\n`,
    );
    return EXIT.failed;
  }
  process.stdout.write(`audit ${f}: ok, ${r.entries} entries, head ${r.head}\n`);
  return EXIT.ok;
}
