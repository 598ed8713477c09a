// The postmortem report as one self-contained HTML page (no script, no network): summary, headline times,
// Gantt timeline, the path diagram with the taken path marked, every command with its exit code and output tail.
import type { AuditEntry, VerifyResult } from '../engine/record/audit.js';
import type { Compiled } from '../engine/machine.js';
import type { RunRecord } from '../engine/record/rundir.js';
import type { Timeline } from './timeline.js';
import { Redactor, redactDeep } from '../secrets/redact.js';
import { diagramSvg, type StateMark } from './svg/diagram.js';
import { esc } from './svg/escape.js';
import { fmtDuration, gantt, ganttSvg } from './svg/gantt.js';

/** How each visited state fared, for the diagram. */
export function stateMarks(t: Timeline): Map<string, StateMark> {
  const m = new Map<string, StateMark>();
  for (const id of t.visited) m.set(id, 'visited');
  for (const s of t.steps) {
    if (s.status === 'pending') continue;
    m.set(s.stateId, s.status === 'done' && s.retries ? 'retried' : s.status);
  }
  if (t.status === 'awaiting-approval') {
    const last = [...t.visited].at(-1);
    if (last && !t.steps.some((s) => s.stateId === last && s.status === 'done')) m.set(last, 'waiting');
  }
  return m;
}

const CSS =
  `body{font:14px/1.45 system-ui,sans-serif;max-width:1200px;margin:1.5em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px ` +
  `7px;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:.5em;margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px}
.headline{display:flex;gap:1.5em;margin:1em 0}.headline div{border:2px solid #198754;border-radius:6px;padding:.5em 1em}
.headline b{display:block;font-size:1.8em}.bad{color:#b02a37}.ok{color:#146c43}.svgbox{overflow-x:auto}
.legend span{margin-right:1.2em}
@media print{body{max-width:none;margin:0;font-size:11px}h2{break-after:avoid}table,svg,.headline{break-inside:avoid}
svg{max-width:100%;height:auto}.svgbox{overflow:visible}pre{max-height:none}}`;

const row = (cells: string[], th = false) =>
  `<tr>${cells.map((c) => `<${th ? 'th' : 'td'}>${c}</${th ? 'th' : 'td'}>`).join('')}</tr>`;
const table = (head: string[], body: string[][]) =>
  `<table>${row(head.map(esc), true)}${body.map((r) => row(r)).join('')}</table>`;
const at = (ts: string | undefined) => esc(ts ? ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

export function reportHtml(
  r: RunRecord,
  t: Timeline,
  audit: VerifyResult,
  compiled: Compiled,
  raw: AuditEntry[],
  redactor: Redactor = new Redactor(),
  anchor?: string,
): string {
  // Masked again here: a report leaves the run dir, so it never relies on the log having been clean.
  const entries = redactDeep(raw, redactor);
  const red = (s: string) => esc(redactor.redact(s));
  const g = gantt(entries);
  const { approvals, facts } = approvalAndFactRows(entries, red);
  const cmds = commands(entries, red);
  const summary = [
    ['Runbook', `${esc(r.runbook)} (sha256 ${esc(r.runbookHash.slice(0, 16))}…)`],
    ['Cluster', `${esc(t.cluster ?? r.plan.cluster)} (${esc(r.plan.topology)})`],
    ['Operator', red(t.operator ?? '')],
    ['Started (UTC)', at(t.started ?? r.startedAt)],
    ['Ended (UTC)', t.ended ? at(t.ended) : '(not ended)'],
    ['Status', `<strong class="${t.status === 'done' ? 'ok' : 'bad'}">${esc(t.status)}</strong>`],
    [
      'Interruptions',
      esc(
        g.gaps.length
          ? g.gaps.map((x) => `${x.label} for ${fmtDuration(x.end - x.start)}`).join('; ')
          : 'none',
      ),
    ],
    [
      'Audit log',
      audit.ok
        ? `<span class="ok">verified</span>, ${audit.entries} entries, head hash <code ` +
          `id="audit-head">${esc(audit.head)}</code>${anchorHtml(audit.head, anchor)}`
        : `<span class="bad">BROKEN at line ${esc(audit.line)}: ${esc(audit.reason)}</span>`,
    ],
  ];
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lifeboat run ${esc(r.runId)}</title>
<style>${CSS}</style></head><body>
<h1>Lifeboat run ${esc(r.runId)}: ${esc(r.runbook)}</h1>
<div class="headline"><div>Time to API back<b ` +
    `id="api-back">${esc(fmtDuration(g.headlines.apiBackMs))}</b></div><div>Time to full ` +
    `redundancy<b id="full-redundancy">${esc(fmtDuration(g.headlines.fullRedundancyMs))}` +
    `</b></div><div>Total<b>${esc(fmtDuration(g.t1 - g.t0))}</b></div></div>
<h2>Summary</h2>${table(
      ['', ''],
      summary.map(([a, b]) => [esc(a), b!]),
    )}
<h2>Decisions and why</h2>${
      t.decisions.length
        ? table(
            ['At (UTC)', 'Decision', 'Branch', 'Why'],
            t.decisions.map((d) => [at(d.at), esc(d.stateId), `<code>${esc(d.branch)}</code>`, red(d.why)]),
          )
        : '<p>none</p>'
    }
<h2>Approvals</h2>${approvals.length ? table(['At (UTC)', 'Step', 'By', 'How'], approvals) : '<p>none</p>'}
<h2>Warnings</h2>${t.warnings.length ? `<ul>${t.warnings.map((w) => `<li>${red(w)}</li>`).join('')}</ul>` : '<p>none</p>'}
<h2>Timeline</h2><p class="legend"><span>▬ command (blue ok, red failed, amber ` +
    `retried)</span><span>✔ approval</span><span>■ waiting for approval</span><span>↻ ` +
    `retry</span><span>◆ verification</span><span>hatched: CLI not running</span></p>
<div class="svgbox">${ganttSvg(g)}</div>
${table(
  ['Step', 'Start (UTC)', 'Duration', 'Status', 'Hosts', 'Retries'],
  t.steps.map((s) => [
    esc(`${s.stateId}: ${s.title}`),
    at(s.start),
    esc(fmtDuration(s.durationMs)),
    esc(s.status),
    Object.entries(s.hosts)
      .map(([h, v]) => `${esc(h)}: ${esc(v.status)} ${esc(fmtDuration(v.durationMs))}`)
      .join('<br/>'),
    esc(s.retries || ''),
  ]),
)}
${
  t.steps.some((s) => s.error)
    ? `<h2>Failures</h2><ul>${t.steps
        .filter((s) => s.error)
        .map((s) => `<li><b>${esc(s.stateId)}</b>: ${red(s.error!)}</li>`)
        .join('')}</ul>`
    : ''
}
<h2>Path taken</h2><p>Green: done; red: failed; grey: skipped; amber: retried; orange: waiting ` +
    `for approval. Dashed red border: destructive.</p>
<div class="svgbox">${diagramSvg(compiled, { marks: stateMarks(t), title: `path taken by ${r.runId}` })}</div>
<h2 id="facts-before">Facts before</h2>${diagnosisHtml(entries, 'before', red)}` +
    `${facts.length ? table(['Member', 'Facts', 'Read at (UTC)'], facts) : ''}
<h2 id="facts-after">Facts ` +
    `after</h2>${diagnosisHtml(entries, 'after', red) || '<p>not recorded (the run has not ended, or ended failed)</p>'}
<h2>Commands</h2>${table(['At (UTC)', 'Step', 'Host', 'Command', 'Exit', 'Duration', 'Output (tail)'], cmds)}
</body></html>
`
  );
}

/** The diagnose table recorded before or after the run (the last of its kind), or '' when none was. */
function diagnosisHtml(entries: AuditEntry[], when: 'before' | 'after', red: (s: string) => string): string {
  const d = [...entries].reverse().find((e) => e.type === 'diagnosis' && e.when === when);
  if (d?.type !== 'diagnosis') return '';
  return (
    `<p>${at(d.ts)}: <b class="${d.verdict === 'healthy' ? 'ok' : 'bad'}">${esc(d.verdict)}` +
    `</b></p><pre class="diagnosis">${red(d.text)}</pre>`
  );
}

/** The head against the anchor noted outside the log (report --expect-head), or how to anchor it. */
function anchorHtml(head: string, anchor: string | undefined): string {
  if (anchor === undefined)
    return (
      '<br/>write it in the incident ticket; <code>lifeboat audit verify RUN_DIR --expect-head ' +
      'HASH</code> checks the log against it later'
    );
  return anchor === head
    ? '<br/><span class="ok" id="anchor">matches the anchor given (--expect-head)</span>'
    : `<br/><span class="bad" id="anchor">does NOT match the anchor ${esc(anchor)}: lines were cut ` +
        `off or the log rewritten</span>`;
}

function commands(entries: AuditEntry[], red: (s: string) => string): string[][] {
  const starts = new Map<string, string>();
  const out: string[][] = [];
  for (const e of entries) {
    if (e.type === 'cmd.start') starts.set(`${e.stateId}|${e.member}|${e.index}|${e.attempt}`, e.command);
    if (e.type !== 'cmd.end') continue;
    const cmd = starts.get(`${e.stateId}|${e.member}|${e.index}|${e.attempt}`) ?? '';
    const exit = e.exitCode ?? (e.signal ? `signal ${e.signal}` : e.timedOut ? 'timed out' : 'lost');
    out.push([
      at(e.ts),
      esc(e.stateId),
      esc(e.member),
      `<pre>${red(cmd)}</pre>`,
      `<span class="${e.exitCode === 0 ? 'ok' : 'bad'}">${esc(exit)}</span>`,
      esc(fmtDuration(e.durationMs)),
      `<pre>${red(e.tail.split('\n').slice(-6).join('\n'))}</pre>`,
    ]);
  }
  return out;
}

/** Rows of the approvals table (approvals and aborts) and of the facts table, escaped and masked. */
function approvalAndFactRows(entries: AuditEntry[], red: (s: string) => string) {
  const approvals = entries.flatMap((e) =>
    e.type === 'approval'
      ? [[at(e.ts), esc(e.stateId), red(e.by), esc(e.how)]]
      : e.type === 'abort'
        ? [[at(e.ts), esc(e.stateId), red(e.by), `<b class="bad">ABORTED</b> (${esc(e.how)})`]]
        : [],
  );
  const facts = entries.flatMap((e) =>
    e.type === 'facts' ? Object.entries(e.summary).map(([m, s]) => [esc(m), red(s), at(e.ts)]) : [],
  );
  return { approvals, facts };
}
