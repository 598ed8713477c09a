// The postmortem timeline as Markdown or HTML: UTC times, durations, approvals, failures, the path on the diagram.
import type { RunRecord } from '../engine/record/rundir.js';
import type { Timeline } from './timeline.js';
import type { AuditEntry, VerifyResult } from '../engine/record/audit.js';
import { Redactor, redactDeep } from '../secrets/redact.js';

const secs = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`);
/**
 * Text from the run dir as Markdown text on one line: no raw HTML (`<`, `>`, `&` as entities), no links, images or code
 * spans it did not come with (`[`, `]`, backticks, backslashes escaped), no table break-out (`|`).
 */
const cell = (s: string) =>
  String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`[\]|]/g, '\\$&')
    .replace(/\r?\n/g, ' ');

/** A code span its text cannot close (the backtick run is longer than any inside); code spans show HTML as text. */
function code(text: string): string {
  const one = String(text).replace(/\r?\n/g, ' ');
  const ticks = '`'.repeat([...one.matchAll(/`+/g)].reduce((n, m) => Math.max(n, m[0].length), 0) + 1);
  const pad = one.startsWith('`') || one.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${one}${pad}${ticks}`;
}

/** A fenced code block no line of `text` can close: the fence is longer than any run of backticks inside. */
function fenced(text: string, info = '', indent = ''): string[] {
  const longest = [...text.matchAll(/`+/g)].reduce((n, m) => Math.max(n, m[0].length), 0);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${indent}${fence}${info}`, ...text.split('\n').map((l) => `${indent}${l}`), `${indent}${fence}`];
}

export function reportMarkdown(
  r: RunRecord,
  t: Timeline,
  audit: VerifyResult,
  diagram: string,
  entries?: AuditEntry[],
  anchor?: string,
): string {
  const out = [
    `# Lifeboat run ${r.runId}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Runbook | ${cell(r.runbook)} (sha256 ${cell(r.runbookHash.slice(0, 16))}…) |`,
    `| Cluster | ${cell(`${t.cluster ?? r.plan.cluster} (${r.plan.topology})`)} |`,
    `| Operator | ${cell(t.operator ?? '')} |`,
    `| Started (UTC) | ${cell(t.started ?? r.startedAt)} |`,
    `| Ended (UTC) | ${cell(t.ended ?? '(not ended)')} |`,
    `| Status | **${cell(t.status)}** |`,
    `| Audit log | ${cell(auditCell(audit, anchor))} |`,
    '',
  ];
  if (t.decisions.length) {
    out.push('## Decisions', '');
    for (const d of t.decisions)
      out.push(`- ${cell(d.at)} **${cell(d.stateId)}** → ${code(d.branch)}: ${cell(d.why)}`);
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
      .map(([h, v]) => cell(`${h}: ${v.status} ${secs(v.durationMs)}`))
      .join('<br>');
    out.push(
      `| ${cell(`${s.stateId}: ${s.title}`)} | ${cell(s.start ?? '')} | ${secs(s.durationMs)} | ` +
        `${cell(s.status)} | ${hosts} | ${cell(s.approvals.join('; '))} | ${cell(String(s.retries || ''))} |`,
    );
  }
  out.push('');
  const failures = t.steps.filter((s) => s.error);
  if (failures.length) {
    out.push('## Failures', '');
    for (const s of failures) out.push(`- **${cell(s.stateId)}**: ${cell(s.error ?? '')}`);
    out.push('');
  }
  if (t.skips.length || t.resumes.length) {
    out.push('## Resumes and skips', '');
    for (const x of t.resumes) out.push(`- ${cell(x.at)} resumed by ${cell(x.by)} (after ${cell(x.from)})`);
    for (const x of t.skips) out.push(`- ${cell(x.at)} step ${cell(x.stateId)} skipped by ${cell(x.by)}`);
    out.push('');
  }
  if (t.warnings.length) {
    out.push('## Warnings', '');
    for (const w of t.warnings) out.push(`- ${cell(w)}`);
    out.push('');
  }
  out.push(...approvalLines(entries ?? []), ...commandLines(entries ?? []));
  for (const when of ['before', 'after'] as const) {
    const d = [...(entries ?? [])].reverse().find((e) => e.type === 'diagnosis' && e.when === when);
    out.push(`## Facts ${when}`, '');
    if (d?.type === 'diagnosis')
      out.push(`${cell(d.ts)}: **${cell(d.verdict)}**`, '', ...fenced(new Redactor().redact(d.text)), '');
    else
      out.push(
        when === 'after' ? 'not recorded (the run has not ended, or ended failed)' : 'not recorded',
        '',
      );
  }
  out.push(
    '## Path taken',
    '',
    'Green: states this run went through. Red border: destructive steps.',
    '',
    ...fenced(diagram, 'mermaid'),
    '',
  );
  return out.join('\n');
}

/** Who approved (or aborted) what and when. */
function approvalLines(entries: AuditEntry[]): string[] {
  const rows = entries.flatMap((e) =>
    e.type === 'approval'
      ? [`| ${cell(e.ts)} | ${cell(e.stateId)} | ${cell(e.by)} | ${cell(e.how)} |`]
      : e.type === 'abort'
        ? [`| ${cell(e.ts)} | ${cell(e.stateId)} | ${cell(e.by)} | **ABORTED** (${cell(e.how)}) |`]
        : [],
  );
  if (!rows.length) return [];
  return ['## Approvals', '', '| At (UTC) | Step | By | How |', '|---|---|---|---|', ...rows, ''];
}

/** Every command with its exit code and the (redacted) tail of its output. */
function commandLines(raw: AuditEntry[]): string[] {
  const red = new Redactor();
  const entries = redactDeep(raw, red);
  const starts = new Map<string, string>();
  const out = ['## Commands', ''];
  for (const e of entries) {
    const k = `${e.type === 'cmd.start' || e.type === 'cmd.end' ? `${e.stateId}|${e.member}|${e.index}|${e.attempt}` : ''}`;
    if (e.type === 'cmd.start') starts.set(k, e.command);
    if (e.type !== 'cmd.end') continue;
    const exit = e.exitCode ?? (e.signal ? `signal ${e.signal}` : e.timedOut ? 'timed out' : 'lost');
    const tailText = e.tail.split('\n').slice(-6).join('\n');
    out.push(
      `- ${cell(e.ts)} **${cell(e.stateId)}** on ${cell(e.member)}: ` +
        `exit **${cell(String(exit))}** in ${secs(e.durationMs)}`,
      '',
      ...fenced(starts.get(k) ?? '', 'sh', '  '),
      ...(tailText.trim() ? ['', ...fenced(tailText, '', '  ')] : []),
      '',
    );
  }
  return out.length > 2 ? out : [];
}

/** The report's audit-log cell: verified with its head and how it compares to the anchor given, or where it broke. */
function auditCell(audit: VerifyResult, anchor: string | undefined): string {
  if (!audit.ok) return `BROKEN at line ${audit.line}: ${audit.reason}`;
  const versus =
    anchor === undefined
      ? ' (write it in the incident ticket)'
      : anchor === audit.head
        ? ', matches the anchor given'
        : `, does NOT match the anchor ${anchor}`;
  return `verified, ${audit.entries} entries, head ${audit.head}${versus}`;
}
