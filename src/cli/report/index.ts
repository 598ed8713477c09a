// `lifeboat report RUN_DIR [--format md|html]`: writes the postmortem timeline next to the audit log.
import { writePrivate } from '../../local/private.js';
import { join } from 'node:path';
import { oneOf, parse } from '../args.js';
import { usage } from '../../core/errors.js';
import { EXIT } from '../../core/exit.js';
import { readAudit, verifyAudit } from '../../engine/audit.js';
import { mermaid } from '../../engine/diagram.js';
import { compile } from '../../engine/machine.js';
import { loadRunbook } from '../../engine/registry.js';
import { readRunRecord, runFiles } from '../../engine/rundir.js';
import { timeline } from '../../engine/timeline.js';
import { reportMarkdown } from '../../render/report.js';
import { markdownToHtml } from '../../render/html.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('report', argv, {
    format: { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help)
    return (
      void process.stdout.write('Usage: lifeboat report RUN_DIR [--format md|html] [--out FILE]\n'),
      EXIT.ok
    );
  const dir = positionals[0];
  if (!dir) throw usage('report: which run dir?', 'give the directory printed by lifeboat run');
  const format = oneOf('report', 'format', values.format, ['md', 'html'] as const, 'md');
  const record = readRunRecord(dir);
  const f = runFiles(dir).audit;
  const t = timeline(readAudit(f));
  const { def } = await loadRunbook(record.runbook);
  const md = reportMarkdown(record, t, verifyAudit(f), mermaid(compile(def), t.visited));
  const out = values.out ?? join(dir, `report.${format}`);
  writePrivate(out, format === 'md' ? md : markdownToHtml(md, `Lifeboat run ${record.runId}`));
  process.stdout.write(`report written: ${out}\n`);
  return EXIT.ok;
}
