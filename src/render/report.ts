// The postmortem timeline as Markdown or HTML: UTC times, durations, approvals, failures, the path on the diagram.
import type { RunRecord } from '../engine/rundir.js';
import type { Timeline } from '../engine/timeline.js';
import type { VerifyResult } from '../engine/audit.js';

const secs = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function reportMarkdown(r: RunRecord, t: Timeline, audit: VerifyResult, diagram: string): string {
  const out = [
    `# Lifeboat run ${r.runId}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Runbook | ${r.runbook} (sha256 ${r.runbookHash.slice(0, 16)}…) |`,
    `| Cluster | ${cell(`${t.cluster ?? r.plan.cluster} (${r.plan.topology})`)} |`,
    `| Operator | ${cell(t.operator ?? '')} |`,
    `| Started (UTC) | ${t.started ?? r.startedAt} |`,
    `| Ended (UTC) | ${t.ended ?? '(not ended)'} |`,
    `| Status | **${t.status}** |`,
    `| Audit log | ${audit.ok ? `verified, ${audit.entries} entries, head ${audit.head}` : `BROKEN at line ${audit.line}: ${audit.reason}`} |`,
    '',
  ];
  if (t.decisions.length) {
    out.push('## Decisions', '');
    for (const d of t.decisions) out.push(`- ${d.at} **${d.stateId}** → \`${d.branch}\`: ${cell(d.why)}`);
    out.push('');
  }
  out.push(
    '## Timeline',
    '',
    '| Step | Start (UTC) | Duration | Status | Hosts | Approved by | Retries |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of t.steps) {
    const hosts = Object.entries(s.hosts)
      .map(([h, v]) => `${h}: ${v.status} ${secs(v.durationMs)}`)
      .join('<br>');
    out.push(
      `| ${cell(`${s.stateId}: ${s.title}`)} | ${s.start ?? ''} | ${secs(s.durationMs)} | ${s.status} | ${hosts} | ${cell(s.approvals.join('; '))} | ${s.retries || ''} |`,
    );
  }
  out.push('');
  const failures = t.steps.filter((s) => s.error);
  if (failures.length) {
    out.push('## Failures', '');
    for (const s of failures) out.push(`- **${s.stateId}**: ${cell(s.error ?? '')}`);
    out.push('');
  }
  if (t.skips.length || t.resumes.length) {
    out.push('## Resumes and skips', '');
    for (const x of t.resumes) out.push(`- ${x.at} resumed by ${x.by} (after ${x.from})`);
    for (const x of t.skips) out.push(`- ${x.at} step ${x.stateId} skipped by ${x.by}`);
    out.push('');
  }
  if (t.warnings.length) {
    out.push('## Warnings', '');
    for (const w of t.warnings) out.push(`- ${cell(w)}`);
    out.push('');
  }
  out.push(
    '## Path taken',
    '',
    'Green: states this run went through. Red border: destructive steps.',
    '',
    '```mermaid',
    diagram,
    '```',
    '',
  );
  return out.join('\n');
}
