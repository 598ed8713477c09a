import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/engine/record/audit.js';
import type { RunEvent } from '../../src/engine/events.js';
import { compile } from '../../src/engine/machine.js';
import { loadRunbook } from '../../src/engine/registry.js';
import type { RunRecord } from '../../src/engine/record/rundir.js';
import { timeline } from '../../src/documents/timeline.js';
import { gantt } from '../../src/documents/svg/gantt.js';
import { reportHtml } from '../../src/documents/report-html.js';
import { findAll, parseXml } from '../helpers/xml.js';
import { reportMarkdown } from '../../src/documents/report.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
function log(events: Array<[number, RunEvent]>): AuditEntry[] {
  return events.map(([s, e], i) => ({
    ...e,
    seq: i,
    ts: new Date(T0 + s * 1000).toISOString(),
    prevHash: '',
    hash: '',
  }));
}
const cmd = (
  stateId: string,
  member: string,
  at: number,
  dur: number,
  exitCode = 0,
  attempt = 1,
): Array<[number, RunEvent]> => [
  [
    at,
    {
      type: 'cmd.start',
      stateId,
      member,
      index: 0,
      attempt,
      command: `do ${stateId} --password=hunter22 <b>`,
    },
  ],
  [
    at + dur,
    {
      type: 'cmd.end',
      stateId,
      member,
      index: 0,
      attempt,
      exitCode,
      signal: null,
      timedOut: false,
      durationMs: dur * 1000,
      stdoutSha256: '',
      stderrSha256: '',
      tail: 'TOKEN=abc123 <i>out</i>',
    },
  ],
];
const step = (stateId: string, at: number, dur: number, hosts: string[]): Array<[number, RunEvent]> => [
  [at, { type: 'step.start', stateId, title: `title of ${stateId}`, hosts }],
  ...hosts.flatMap((h) => cmd(stateId, h, at, dur)),
  [at + dur, { type: 'step.end', stateId, status: 'done', durationMs: dur * 1000 }],
];

// A recover-quorum run killed during stop/stop-etcd and resumed 60 s later.
const entries = log([
  [
    0,
    {
      type: 'run.start',
      runId: 'r1',
      runbook: 'recover-quorum',
      runbookHash: 'h'.repeat(64),
      inventory: 'i',
      inventoryHash: 'i',
      cluster: 'lab',
      operator: { user: 'op', host: 'box' },
      dryRun: false,
      params: {},
    },
  ],
  [0, { type: 'facts', summary: { 'cp-1': 'etcd 3.4.23 up, raft index 12' } }],
  [1, { type: 'decision', stateId: 'decide/quorum', branch: 'lost', why: '1 of 3 answer' }],
  ...step('save/config', 1, 2, ['cp-1']),
  [4, { type: 'approval', stateId: 'stop/stop-apiservers', by: 'op', how: 'prompt' }],
  ...step('stop/stop-apiservers', 4, 3, ['cp-1', 'cp-2']),
  [8, { type: 'step.start', stateId: 'stop/stop-etcd', title: 'Stop etcd', hosts: ['cp-1'] }],
  [
    8,
    {
      type: 'cmd.start',
      stateId: 'stop/stop-etcd',
      member: 'cp-1',
      index: 0,
      attempt: 1,
      command: 'stop etcd',
    },
  ],
  [70, { type: 'run.resume', by: 'op', acceptedChangedRunbook: false, from: 'r1' }],
  ...cmd('stop/stop-etcd', 'cp-1', 71, 2, 1),
  [73, { type: 'retry', stateId: 'stop/stop-etcd', by: 'engine' }],
  ...cmd('stop/stop-etcd', 'cp-1', 74, 1, 0, 2),
  [75, { type: 'step.end', stateId: 'stop/stop-etcd', status: 'done', durationMs: 1000 }],
  ...step('clients/start-apiservers', 80, 5, ['cp-1']),
  [90, { type: 'verify', stateId: 'finish/verify-cluster', member: 'cp-1', ok: true, attempts: 2, tail: '' }],
  ...step('finish/verify-cluster', 86, 10, ['cp-1']),
  [96, { type: 'run.end', status: 'done' }],
]);

describe('postmortem report: Gantt timeline, headline times, path diagram', () => {
  it('folds the audit into bars, the interruption gap and the two headline times', () => {
    const g = gantt(entries);
    expect(g.gaps).toHaveLength(1);
    expect(g.gaps[0]!.end - g.gaps[0]!.start).toBe(62_000);
    expect(g.headlines.apiBackMs).toBe(85_000);
    expect(g.headlines.fullRedundancyMs).toBe(96_000);
    expect(g.bars.find((b) => b.label.includes('interrupted'))?.end).toBe(T0 + 8000);
    expect(g.bars.filter((b) => b.stateId === 'stop/stop-etcd').map((b) => [b.ok, b.attempt])).toEqual([
      [false, 1],
      [false, 1],
      [true, 2],
    ]);
  });

  it('is one self-contained, well-formed HTML page with no script, secrets masked, every step drawn', async () => {
    const { def } = await loadRunbook('recover-quorum');
    const t = timeline(entries);
    const record = {
      runId: 'r1',
      runbook: 'recover-quorum',
      runbookHash: 'h'.repeat(64),
      startedAt: '',
      plan: { cluster: 'lab', topology: 'static-pod' },
    } as unknown as RunRecord;
    const html = reportHtml(
      record,
      t,
      { ok: true, entries: entries.length, head: 'abc' } as never,
      compile(def),
      entries,
    );
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).not.toContain('hunter22');
    expect(html).not.toContain('abc123');
    expect(html).toContain('--password=*** &lt;b&gt;');
    const doc = parseXml(
      html.replace(/<!doctype html>/i, '').replace(/<meta charset="utf-8">/, '<meta charset="utf-8"/>'),
    );
    const nodes = findAll(doc, (n) => n.attrs.class?.startsWith('lb-node') === true);
    const byState = new Map(nodes.map((n) => [n.attrs['data-state'], n.attrs.class!]));
    for (const s of t.steps) expect(byState.get(s.stateId)).toMatch(/done|retried|failed|skipped/);
    expect(byState.get('stop/stop-etcd')).toContain('retried');
    expect(findAll(doc, (n) => n.attrs.class === 'lb-gap')).toHaveLength(1);
    expect(findAll(doc, (n) => n.attrs.id === 'api-back')[0]!.text).toBe('1 min 25 s');
    expect(findAll(doc, (n) => n.attrs.id === 'full-redundancy')[0]!.text).toBe('1 min 36 s');
    expect(html).toContain('@media print');
  });

  it('facts before and after (diagnose tables), who approved or aborted what and when, every command, the anchor', async () => {
    const { def } = await loadRunbook('recover-quorum');
    const withFacts = log([
      [
        0,
        {
          type: 'diagnosis',
          when: 'before',
          verdict: 'quorum-lost',
          text: 'MEMBER  ETCD\ncp-1    BEFORE-ROW',
        },
      ],
      ...step('save/config', 1, 2, ['cp-1']),
      [4, { type: 'approval', stateId: 'stop/stop-apiservers', by: 'op', how: 'prompt' }],
      ...step('stop/stop-apiservers', 4, 3, ['cp-1']),
      [9, { type: 'abort', stateId: 'stop/stop-etcd', by: 'op2', how: 'prompt' }],
      [
        10,
        { type: 'diagnosis', when: 'after', verdict: 'degraded', text: 'cp-1 AFTER-ROW --password=hunter22' },
      ],
      [11, { type: 'run.end', status: 'aborted', message: 'aborted by op2 before stop/stop-etcd' }],
    ]);
    const t = timeline(withFacts);
    const record = {
      runId: 'r2',
      runbook: 'recover-quorum',
      runbookHash: 'h'.repeat(64),
      startedAt: '',
      plan: { cluster: 'lab', topology: 'static-pod' },
    } as unknown as RunRecord;
    const audit = { ok: true, entries: withFacts.length, head: 'a'.repeat(64) } as never;
    const html = reportHtml(record, t, audit, compile(def), withFacts, undefined, 'b'.repeat(64));
    const doc = parseXml(
      html.replace(/<!doctype html>/i, '').replace(/<meta charset="utf-8">/, '<meta charset="utf-8"/>'),
    );
    const pres = findAll(doc, (n) => n.attrs.class === 'diagnosis').map((n) => n.text);
    expect(pres).toHaveLength(2);
    expect(pres[0]).toContain('BEFORE-ROW');
    expect(pres[1]).toContain('AFTER-ROW');
    expect(html).not.toContain('hunter22');
    expect(html.indexOf('id="facts-before"')).toBeLessThan(html.indexOf('BEFORE-ROW'));
    expect(html.indexOf('id="facts-after"')).toBeLessThan(html.indexOf('AFTER-ROW'));
    expect(html).toMatch(/stop\/stop-etcd<\/td><td>op2<\/td><td><b class="bad">ABORTED/);
    expect(findAll(doc, (n) => n.attrs.id === 'audit-head')[0]!.text).toBe('a'.repeat(64));
    expect(findAll(doc, (n) => n.attrs.id === 'anchor')[0]!.text).toMatch(/does NOT match/);
    expect(reportHtml(record, t, audit, compile(def), withFacts, undefined, 'a'.repeat(64))).toContain(
      'matches the anchor given',
    );

    const md = reportMarkdown(record, t, audit, 'graph', withFacts, 'a'.repeat(64));
    expect(md).toMatch(/## Facts before\n\n.*\*\*quorum-lost\*\*\n\n```\nMEMBER {2}ETCD\ncp-1 {4}BEFORE-ROW/);
    expect(md).toMatch(/## Facts after\n\n.*\*\*degraded\*\*/);
    expect(md).toMatch(/\| stop\/stop-apiservers \| op \| prompt \|/);
    expect(md).toMatch(/\| stop\/stop-etcd \| op2 \| \*\*ABORTED\*\* \(prompt\) \|/);
    expect(md).toMatch(/\*\*save\/config\*\* on cp-1: exit \*\*0\*\*/);
    expect(md).toContain('matches the anchor given');
    expect(md).not.toMatch(/hunter22|abc123/);
  });
});

describe('Markdown report of a forged run dir', () => {
  const payloads = [
    '<img src=x onerror=alert(1)>',
    '"><svg onload=alert(1)>',
    '</td><script>alert(1)</script>',
  ];
  const evil = (i: number) => payloads[i % payloads.length]!;
  const fence = '```\n<script>alert(2)</script>\n```';
  const forged = log([
    [0, { type: 'diagnosis', when: 'before', verdict: evil(0), text: `MEMBER\n${fence}` }],
    [1, { type: 'decision', stateId: evil(1), branch: '`x` [link](javascript:alert(1))', why: evil(2) }],
    [2, { type: 'step.start', stateId: 'save/config', title: evil(0), hosts: [evil(1)] }],
    [2, { type: 'cmd.start', stateId: 'save/config', member: evil(1), index: 0, attempt: 1, command: fence }],
    [
      3,
      {
        type: 'cmd.end',
        stateId: 'save/config',
        member: evil(1),
        index: 0,
        attempt: 1,
        exitCode: 1,
        signal: null,
        timedOut: false,
        durationMs: 1000,
        stdoutSha256: '',
        stderrSha256: '',
        tail: `${fence}\n${evil(2)}`,
      },
    ],
    [3, { type: 'step.end', stateId: 'save/config', status: evil(2), durationMs: 1000, error: evil(0) }],
    [4, { type: 'approval', stateId: 'stop/stop-etcd', by: evil(1), how: 'prompt' }],
    [5, { type: 'run.end', status: 'failed', message: evil(2) }],
  ] as Array<[number, RunEvent]>);

  it('shows every payload as text: no raw HTML outside code blocks, no code block closed early, no link', () => {
    const record = {
      runId: 'r3',
      runbook: evil(2),
      runbookHash: 'h'.repeat(64),
      startedAt: '',
      plan: { cluster: evil(0), topology: 'static-pod' },
    } as unknown as RunRecord;
    const audit = { ok: true, entries: forged.length, head: 'a'.repeat(64) } as never;
    const md = reportMarkdown(record, timeline(forged), audit, 'graph', forged);
    // Outside fenced blocks (each opened and closed by a fence of the same length) no `<` and no link.
    const outside: string[] = [];
    let open: string | undefined;
    for (const line of md.split('\n')) {
      const f = /^\s*(`{3,})/.exec(line)?.[1];
      if (open === undefined && f) open = f;
      else if (open !== undefined && f && line.trim() === open) open = undefined;
      else if (open === undefined) outside.push(line);
    }
    expect(open).toBeUndefined();
    const text = outside.join('\n');
    expect(text).not.toMatch(/<(?!br>)/);
    expect(text).toContain('→ `` `x` [link](javascript:alert(1)) ``:'); // a code span: shown, not a link
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(text).toContain('&lt;/td&gt;&lt;script&gt;');
    // The script inside a command and its output stays inside a longer fence, shown as it was.
    expect(md).toContain('  ````sh\n  ```\n  <script>alert(2)</script>\n  ```\n  ````');
  });
});
