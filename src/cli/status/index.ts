// `lifeboat status RUN_DIR`: where a run stands and what to do next.
import { parse } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { readAudit } from '../../engine/record/audit.js';
import { foldJournal } from '../../engine/record/journal.js';
import { readRunRecord, readSnapshot, runFiles } from '../../engine/record/rundir.js';
import { timeline } from '../../documents/timeline.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('status', argv, { output: { type: 'string', short: 'o' } });
  if (values.help)
    return (void process.stdout.write('Usage: lifeboat status RUN_DIR [--output json]\n'), EXIT.ok);
  const dir = positionals[0];
  if (!dir) throw usage('status: which run dir?', 'give the directory printed by lifeboat run');
  const record = readRunRecord(dir);
  const entries = readAudit(runFiles(dir).audit);
  const j = foldJournal(entries);
  const t = timeline(entries);
  const snap = readSnapshot(dir) as { value?: string } | undefined;
  const steps = record.plan.items.filter((i) => i.kind === 'step');
  const doneCount = steps.filter((s) =>
    ['done', 'skipped'].includes(j.steps.get(s.stateId)?.ended ?? ''),
  ).length;
  const next =
    j.final === 'done'
      ? 'nothing: the run is done'
      : j.final === 'awaiting-approval'
        ? `approve: lifeboat resume ${dir} --approve STEP (or --yes)`
        : j.lastFailed
          ? `lifeboat resume ${dir} --retry | --skip | --abort`
          : j.final && j.final !== 'interrupted'
            ? 'nothing: the run has ended'
            : `lifeboat resume ${dir}`;
  const summary = {
    runId: record.runId,
    runbook: record.runbook,
    cluster: record.plan.cluster,
    startedAt: record.startedAt,
    status: j.final ?? 'interrupted',
    state: snap?.value ?? 'not started',
    stepsDone: doneCount,
    stepsTotal: steps.length,
    lastFailed: j.lastFailed ?? null,
    next,
  };
  if (values.output === 'json') {
    process.stdout.write(JSON.stringify({ ...summary, steps: t.steps }, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = [
    `run ${record.runId}: ${record.runbook} on ${record.plan.cluster}, started ${record.startedAt}`,
    `status: ${summary.status}; at state ${summary.state}; ${doneCount}/${steps.length} steps done`,
    ...steps.map(
      (s) =>
        `  ${(j.steps.get(s.stateId)?.ended ?? (j.steps.get(s.stateId)?.started ? 'started' : 'pending')).padEnd(8)} ${s.stateId}: ${s.title}`,
    ),
    `next: ${next}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}
