// `lifeboat audit verify RUN_DIR`: detects any edited, removed or reordered line; prints the head hash.
import { parse } from '../args.js';
import { badInput, usage } from '../../core/errors.js';
import { EXIT } from '../../core/exit.js';
import { verifyAudit } from '../../engine/audit.js';
import { runFiles } from '../../engine/rundir.js';
import { existsSync } from 'node:fs';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('audit', argv, {});
  if (values.help) return (void process.stdout.write('Usage: lifeboat audit verify RUN_DIR\n'), EXIT.ok);
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
  process.stdout.write(`audit ${f}: ok, ${r.entries} entries, head ${r.head}\n`);
  return EXIT.ok;
}
