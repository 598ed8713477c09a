// `lifeboat resume RUN_DIR`: continue after a crash, a lost connection, a failed step or a missing approval.
import { parse } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { loadInventory } from '../../inventory/load.js';
import { readRunRecord } from '../../engine/record/rundir.js';
import { resumeRun } from '../../session/resume.js';
import { makeDeps } from '../edges.js';
import { RUN_FLAGS, approvalsOf, exitFor, goOnLine, liveWhile, outputOf, printAnchor } from '../runflags.js';
import { catchInterrupts } from '../signals.js';

const HELP =
  `Usage: lifeboat resume RUN_DIR [--yes | --approve STEP ...] [--retry | --skip | --abort] ` +
  `[--accept-changed-runbook]
                       [--output auto|text|json] [--accept-new-host-keys] [-v] [--serve [HOST:]PORT]

Continues a run from its journal. A step interrupted mid-way is re-checked with its "already done?" check
before it runs again. After a failed step: --retry, --skip (recorded) or --abort (asked on a terminal).
An aborted run cannot be resumed. --serve: the live page while it runs (URL with its token printed once).
Ctrl-C (SIGINT) or SIGTERM stops it again where it is, recorded; resume once more to go on.
Exit: 0 done, 1 a step failed, 2 bad input or refused, 4 waiting for approval, 5 aborted, 130 interrupted.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('resume', argv, {
    ...RUN_FLAGS,
    retry: { type: 'boolean' },
    skip: { type: 'boolean' },
    abort: { type: 'boolean' },
    'accept-changed-runbook': { type: 'boolean' },
  });
  if (values.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  const dir = positionals[0];
  if (!dir) throw usage('resume: which run dir?', 'give the directory printed by lifeboat run');
  const choices = (['retry', 'skip', 'abort'] as const).filter((c) => values[c]);
  if (choices.length > 1) throw usage('resume: --retry, --skip and --abort exclude each other', 'choose one');
  const live = liveWhile('resume', values.serve);
  const record = readRunRecord(dir);
  const inv = loadInventory(record.inventoryPath);
  const deps = await makeDeps(inv, {
    output: outputOf('resume', values.output),
    acceptNewHostKeys: values['accept-new-host-keys'] === true,
    verbose: values.verbose === true,
  });
  deps.showPlan(record.plan, Date.parse(record.startedAt));
  live.start(dir);
  const interrupts = catchInterrupts();
  deps.interrupt = interrupts.signal;
  try {
    const status = await resumeRun({
      dir,
      approvals: approvalsOf(values),
      deps,
      acceptChangedRunbook: values['accept-changed-runbook'] === true,
      onAnchored: printAnchor,
      ...(choices[0] ? { afterFailure: choices[0] } : {}),
    });
    (await import('../../backup/params.js')).removeFetched(record.params, status);
    await deps.settled();
    process.stderr.write(`run ${status}; report: lifeboat report ${dir}\n`);
    process.stderr.write(goOnLine(status, dir));
    return exitFor(status);
  } finally {
    interrupts.dispose();
    await live.stop();
    await deps.executor.close();
  }
}
