// `lifeboat audit verify RUN_DIR`: detects any edited, removed or reordered line, and (reading the members' anchors)
// a cut tail or a rewritten log; prints the head hash.
import { parse } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { readAudit, verifyAudit } from '../../engine/record/audit.js';
import { readRunRecord, runFiles } from '../../engine/record/rundir.js';
import { existsSync } from 'node:fs';
import { checkAnchors, readAnchors } from '../../engine/record/anchor.js';
import { loadInventory } from '../../inventory/load.js';
import { SshExecutor } from '../../ssh/index.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('audit', argv, {
    'expect-head': { type: 'string' },
    offline: { type: 'boolean' },
  });
  if (values.help)
    return (
      void process.stdout.write(
        'Usage: lifeboat audit verify RUN_DIR [--expect-head HASH] [--offline]\n  --offline: do ' +
          'not read the anchors on the members\n',
      ),
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
        ? `audit ${f}: the anchor ${expected.slice(0, 16)}… is entry ${at + 1}; the log has ` +
            `${r.entries - at - 1} entries after it\n`
        : `audit ${f}: head ${r.head} is not the anchor ${expected}: the log is shorter than its ` +
            `anchor (lines cut off) or was rewritten\n`,
    );
    return EXIT.failed;
  }
  if (values.offline !== true && !(await anchorsAgree(dir, f))) return EXIT.failed;
  process.stdout.write(`audit ${f}: ok, ${r.entries} entries, head ${r.head}\n`);
  return EXIT.ok;
}

/** Compares the log with the anchors on the members the run's inventory names; says which could not be read. */
async function anchorsAgree(dir: string, f: string): Promise<boolean> {
  if (!existsSync(runFiles(dir).record)) {
    process.stderr.write(`audit ${f}: no run.json beside it, so no members to read anchors from\n`);
    return true;
  }
  const record = readRunRecord(dir);
  const inv = loadInventory(record.inventoryPath);
  const ex = new SshExecutor(inv, { acceptNewHostKeys: false });
  try {
    const { anchors, unread } = await readAnchors(inv, ex, record.runId);
    const problems = checkAnchors(readAudit(f), anchors);
    if (problems.length > 0) {
      process.stderr.write(`audit ${f}: BROKEN: ${problems.join('; ')}\n`);
      return false;
    }
    const none = anchors.length === 0 ? 'no member holds an anchor of this run; ' : '';
    if (unread.length > 0 || none)
      process.stderr.write(
        `audit ${f}: ${none}${unread.length ? `anchors not read on ${unread.join(', ')} (unreachable)` : ''}\n`,
      );
    else process.stderr.write(`audit ${f}: anchors agree on ${anchors.map((a) => a.member).join(', ')}\n`);
    return true;
  } finally {
    await ex.close();
  }
}
