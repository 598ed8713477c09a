// `lifeboat report RUN_DIR [--format md|html]`: writes the postmortem timeline next to the audit log.
import { join } from 'node:path';
import { oneOf, parse } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { readAudit, verifyAudit } from '../../engine/record/audit.js';
import { mermaid } from '../../documents/mermaid.js';
import { compile } from '../../engine/machine.js';
import { loadRunbook } from '../../engine/registry.js';
import { readRunRecord, runFiles } from '../../engine/record/rundir.js';
import { timeline } from '../../documents/timeline.js';
import { reportMarkdown } from '../../documents/report.js';
import { writeAtomic } from '../../engine/record/rundir.js';
import { fmtDuration, gantt } from '../../documents/svg/gantt.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('report', argv, {
    format: { type: 'string' },
    out: { type: 'string' },
    'expect-head': { type: 'string' },
  });
  if (values.help)
    return (
      void process.stdout.write(
        'Usage: lifeboat report RUN_DIR [--format md|html] [--out FILE] [--expect-head HASH]\n' +
          '  --expect-head: the head hash noted in the incident ticket; the report says whether ' +
          'the log still ends there\n',
      ),
      EXIT.ok
    );
  const dir = positionals[0];
  if (!dir) throw usage('report: which run dir?', 'give the directory printed by lifeboat run');
  const anchor = values['expect-head'];
  if (anchor !== undefined && !/^[0-9a-f]{64}$/.test(anchor))
    throw usage(
      `report: --expect-head '${anchor}' is not a 64-hex head hash`,
      'give the head hash printed by audit verify',
    );
  const format = oneOf('report', 'format', values.format, ['md', 'html'] as const, 'md');
  const record = readRunRecord(dir);
  const f = runFiles(dir).audit;
  const entries = readAudit(f);
  const t = timeline(entries);
  const { def } = await loadRunbook(record.runbook);
  const compiled = compile(def);
  const out = values.out ?? join(dir, `report.${format}`);
  if (format === 'html') {
    const { reportHtml } = await import('../../documents/report-html.js');
    writeAtomic(out, reportHtml(record, t, verifyAudit(f), compiled, entries, undefined, anchor));
  } else {
    const g = gantt(entries);
    const head =
      `Time to API back: **${fmtDuration(g.headlines.apiBackMs)}**; time to full redundancy: ` +
      `**${fmtDuration(g.headlines.fullRedundancyMs)}` +
      `**${g.gaps.length ? `; interrupted: ${g.gaps.map((x) => `${x.label} for ${fmtDuration(x.end - x.start)}`).join('; ')}` : ''}.`;
    const md = reportMarkdown(
      record,
      t,
      verifyAudit(f),
      mermaid(compiled, t.visited),
      entries,
      anchor,
    ).replace('\n\n', `\n\n${head}\n\n`);
    writeAtomic(out, md);
  }
  process.stdout.write(`report written: ${out}\n`);
  return EXIT.ok;
}
