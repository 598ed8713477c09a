// The live page's HTML: the whole page for the first request, and the same fragment pushed over SSE on every change.
import type { AuditEntry } from '../engine/record/audit.js';
import type { Compiled } from '../engine/machine.js';
import { diagramSvg } from '../documents/svg/diagram.js';
import { esc } from '../documents/svg/escape.js';
import { fmtDuration, gantt, ganttSvg } from '../documents/svg/gantt.js';
import { stateMarks } from '../documents/report-html.js';
import type { LiveState } from './state.js';
import type { PageArgs } from './server.js';

export function liveFragment(s: LiveState, entries: AuditEntry[], compiled: Compiled): string {
  const marks = stateMarks(s.t);
  if (s.current && s.t.status === 'running' && !marks.get(s.current.stateId)?.match(/done|failed|skipped/))
    marks.set(s.current.stateId, 'running');
  if (s.waiting) marks.set(s.waiting.stateId, 'waiting');
  const g = gantt(entries);
  const hosts = Object.entries(s.hosts)
    .map(([h, v]) => `<tr><td>${esc(h)}</td><td>${esc(v.step)}</td><td>${esc(v.state)}</td></tr>`)
    .join('');
  return (
    `<div id="status" data-status="${esc(s.status)}" data-step="${esc(s.current?.stateId ?? '')}" ` +
    `data-entries="${s.entries}">
${s.waiting ? `<div class="lb-waiting-banner" id="waiting">■ WAITING FOR APPROVAL before ${esc(s.waiting.stateId)}<br/><small>${esc(s.waiting.hint)}</small></div>` : ''}
<h1>${esc(s.runbook)} · run ${esc(s.runId)} · <span class="st-${esc(s.status)}">${esc(s.status)}</span></h1>
<p class="where">${s.current ? `Phase <b>${esc(s.current.phase)}</b> · step <b id="step-n">${s.current.n} of ${s.current.of}</b>: <b id="step-id">${esc(s.current.stateId)}</b> ${esc(s.current.title)}` : 'not started'} · elapsed ${esc(fmtDuration(g.t1 - g.t0))} · last entry ${esc(s.lastAt ?? '')}</p>
<table><tr><th>Host</th><th>Step</th><th>State</th></tr>${hosts}</table>
<h2>Timeline so far</h2><div class="svgbox">${ganttSvg(g)}</div>
<h2>Progress on the diagram</h2><div class="svgbox">${diagramSvg(compiled, { marks, title: 'progress' })}</div>
</div>`
  );
}

export function livePage({ fragment, token, nonce }: PageArgs): string {
  // The only script (allowed by its nonce; no inline handlers run): replace the fragment when the server pushes one.
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lifeboat live</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#222}h1{font-size:1.3em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px ` +
    `8px}.svgbox{overflow-x:auto}.lb-waiting-banner{background:#fd7e14;color:#fff;font-size:1.6em;
font-weight:bold;padding:.5em 1em;border-radius:6px;animation:blink 1.2s infinite}@keyframes blink{50%{opacity:.6}}
.st-done{color:#146c43}.st-failed,.st-awaiting-approval{color:#b02a37}</style></head><body>
<div id="live">${fragment}</div>
<script nonce="${esc(nonce)}">
const es = new EventSource('events?token=' + encodeURIComponent(${JSON.stringify(token)}));
es.addEventListener('state', (m) => { document.getElementById('live').innerHTML = JSON.parse(m.data); });
</script></body></html>
`
  );
}
