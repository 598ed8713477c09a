// `lifeboat run RUNBOOK -i INVENTORY`: probe, plan, confirm destructive steps, execute, record.
import { parse, parseSets } from '../args.js';
import { LifeboatError, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { loadInventory } from '../../inventory/load.js';
import { startRun } from '../../session/start.js';
import { localSnapshot } from '../../session/inputs.js';
import { sh } from '../../shell/sh.js';
import type { Inventory } from '../../inventory/resolve.js';
import { foldJournal } from '../../engine/record/journal.js';
import { verifiedEntries } from '../../engine/record/trust.js';
import { runFiles } from '../../engine/record/rundir.js';
import { makeDeps } from '../edges.js';
import { RUN_FLAGS, approvalsOf, exitFor, goOnLine, liveWhile, outputOf, printAnchor } from '../runflags.js';
import { catchInterrupts } from '../signals.js';

const HELP =
  `Usage: lifeboat run RUNBOOK -i INVENTORY [--set KEY=VALUE ...] [--yes | --approve STEP ...] ` +
  `[--run-dir DIR]
                    [--identity FILE] [--output auto|text|json] [--accept-new-host-keys] [-v] [--serve [HOST:]PORT]

Runs a runbook. Destructive steps ask for confirmation on a terminal; without one, the run stops safely
before the first unapproved destructive step (exit 4) and says how to approve it.
On a terminal: y run it, n stop (resumable), d show the commands, a a abort for good; -v shows command lines.
A restore's --set snapshot= may name a backup (s3://BUCKET/PREFIX/ID, DIR/ID or an ID): it is fetched first,
decrypted with --identity FILE when encrypted.
--serve [HOST:]PORT: the read-only live page of this run (as 'lifeboat watch RUN_DIR --serve') while it runs;
its URL with the access token is printed once.
Ctrl-C (SIGINT) or SIGTERM stops the run where it is, records it in the audit log and prints the resume line.
Exit: 0 done, 1 a step failed, 2 bad input or refused (nothing changed), 4 waiting for approval, 5 aborted,
130 interrupted (resumable).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('run', argv, {
    inventory: { type: 'string', short: 'i' },
    set: { type: 'string', multiple: true },
    'run-dir': { type: 'string' },
    identity: { type: 'string' },
    ...RUN_FLAGS,
  });
  if (values.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  const runbook = positionals[0];
  if (!runbook) throw usage('run: which runbook?', "run 'lifeboat runbooks' for the list");
  if (!values.inventory) throw usage('run: -i INVENTORY is required', 'give the inventory file with -i');
  if (values.yes && values.approve?.length)
    throw usage('run: --yes and --approve exclude each other', 'use one of them');
  const output = outputOf('run', values.output);
  const live = liveWhile('run', values.serve);
  const inv = loadInventory(values.inventory);
  const deps = await makeDeps(inv, {
    output,
    acceptNewHostKeys: values['accept-new-host-keys'] === true,
    verbose: values.verbose === true,
  });
  const interrupts = catchInterrupts();
  deps.interrupt = interrupts.signal;
  try {
    const { diagnosisEvent } = await import('../diagnose/record.js');
    const given = localSnapshot(parseSets('run', values.set), inv);
    const { prepareParams, removeFetched } = await import('../../backup/params.js');
    const params = await prepareParams(runbook, given, inv, values.identity);
    const started = startRun({
      runbook,
      inventoryPath: values.inventory,
      params,
      ...(values['run-dir'] ? { runDir: values['run-dir'] } : {}),
      approvals: approvalsOf(values),
      deps,
      // The cluster as diagnose sees it before anything runs, from the run's own facts (for the report).
      before: async (facts) => [await diagnosisEvent(inv, deps.executor, 'before', facts)],
      onPlan: (p, dir) => {
        deps.showPlan(p);
        live.start(dir);
        process.stderr.write(`run dir: ${dir}\n`);
      },
      onAnchored: printAnchor,
    });
    const { status, dir } = await started.catch((err: unknown) => {
      // Refused before it began (lock held, hosts unreachable, bad input): nothing will resume it.
      if (err instanceof LifeboatError && ['refused', 'input', 'usage'].includes(err.code))
        removeFetched(params, 'not started');
      throw err;
    });
    removeFetched(params, status);
    await deps.settled();
    process.stderr.write(`run ${status}; audit log: ${dir}/audit.jsonl; report: lifeboat report ${dir}\n`);
    process.stderr.write(goOnLine(status, dir));
    if (status === 'done' && runbook === 'backup')
      process.stderr.write(backupMade(dir, values.inventory, inv));
    return exitFor(status);
  } finally {
    interrupts.dispose();
    await live.stop();
    await deps.executor.close();
  }
}

/** The last lines of a backup: its id, where it is, and how to check and restore it. */
function backupMade(dir: string, inventoryPath: string, inv: Inventory): string {
  const restore = inv.members.length === 1 ? 'restore-single-master' : 'restore-multi-master';
  const outputs = foldJournal(verifiedEntries(runFiles(dir).audit)).outputs;
  const made = outputs['copy-off/manifest']?.local as { id?: string; dir?: string } | undefined;
  const published = outputs['copy-off/publish']?.local?.published;
  if (!made?.id) return '';
  const where = typeof published === 'string' ? published : made.dir;
  return (
    `backup ${made.id} is in ${where}\n` +
    `  check it:   ${sh`lifeboat backup verify ${made.id} -i ${inventoryPath}`.text}\n` +
    `  restore it: ${sh`lifeboat run ${restore} -i ${inventoryPath} --set snapshot=${made.id}`.text}\n`
  );
}
