// The run's timeline as a Gantt SVG from the audit log: a row per step and host, commands as bars, approvals,
// retries and verifications as marks, and the gap where the CLI was gone until the resume as a hatched band.
import type { AuditEntry } from '../../engine/record/audit.js';
import { esc } from './escape.js';

export interface Bar {
  row: string;
  stateId: string;
  member: string;
  start: number;
  end: number;
  ok: boolean;
  attempt: number;
  label: string;
}
export interface Mark {
  row: string;
  at: number;
  kind: 'approval' | 'retry' | 'verify-ok' | 'verify-failed' | 'waiting' | 'aborted';
  label: string;
}
export interface Gap {
  start: number;
  end: number;
  label: string;
}
export interface Headlines {
  /** ms from run start until the API servers were started again (the step that starts them ended). */
  apiBackMs?: number;
  /** ms from run start until the final cluster verification passed. */
  fullRedundancyMs?: number;
}
export interface Gantt {
  t0: number;
  t1: number;
  rows: string[];
  bars: Bar[];
  marks: Mark[];
  gaps: Gap[];
  headlines: Headlines;
}

const ms = (ts: string) => Date.parse(ts);

type RowOf = (stateId: string, member: string) => string;

/** The mark an approval, abort, retry or verification puts on its row; none for other entries. */
function markOf(e: AuditEntry, at: number, row: RowOf): Mark | undefined {
  switch (e.type) {
    case 'approval':
      return {
        row: row(e.stateId, 'approval'),
        at,
        kind: 'approval',
        label: `approved by ${e.by} (${e.how})`,
      };
    case 'approval.missing':
      return { row: row(e.stateId, 'approval'), at, kind: 'waiting', label: 'waiting for approval' };
    case 'abort':
      return { row: row(e.stateId, 'approval'), at, kind: 'aborted', label: `aborted by ${e.by}` };
    case 'retry':
      return { row: row(e.stateId, 'retry'), at, kind: 'retry', label: `retry (${e.by})` };
    case 'verify':
      return {
        row: row(e.stateId, e.member),
        at,
        kind: e.ok ? 'verify-ok' : 'verify-failed',
        label: `verify ${e.ok ? 'ok' : 'FAILED'} after ${e.attempts} attempt(s)`,
      };
    default:
      return undefined;
  }
}

/** A finished step that brings the API servers back, or the final cluster verification, sets a headline. */
function noteHeadline(h: Headlines, e: AuditEntry, sinceStart: number): void {
  if (e.type !== 'step.end' || e.status !== 'done') return;
  if (h.apiBackMs === undefined && /\/start-apiservers$/.test(e.stateId)) h.apiBackMs = sinceStart;
  if (/\/verify-cluster$/.test(e.stateId)) h.fullRedundancyMs = sinceStart;
}

/** Folds the audit log into bars, marks and gaps (pure). */
export function gantt(entries: AuditEntry[]): Gantt {
  const g: Gantt = { t0: 0, t1: 0, rows: [], bars: [], marks: [], gaps: [], headlines: {} };
  const row: RowOf = (stateId, member) => {
    const r = `${stateId} · ${member}`;
    if (!g.rows.includes(r)) g.rows.push(r);
    return r;
  };
  const open = new Map<string, { at: number; command: string }>();
  let lastAt = 0;
  let ended = false;
  for (const e of entries) {
    const at = ms(e.ts);
    if (!g.t0) g.t0 = at;
    if (e.type === 'run.resume') {
      // The time between the last entry before the resume and the resume: the CLI was not running.
      if (lastAt)
        g.gaps.push({
          start: lastAt,
          end: at,
          label: ended ? 'stopped until resume' : 'CLI killed; resumed',
        });
      closeOpen(lastAt);
    } else if (e.type === 'cmd.start') {
      row(e.stateId, e.member);
      open.set(`${e.stateId}|${e.member}|${e.index}`, { at, command: e.command.split('\n')[0] ?? '' });
    } else if (e.type === 'cmd.end') {
      const k = `${e.stateId}|${e.member}|${e.index}`;
      const o = open.get(k);
      open.delete(k);
      g.bars.push({
        row: row(e.stateId, e.member),
        stateId: e.stateId,
        member: e.member,
        start: o?.at ?? at - e.durationMs,
        end: at,
        ok: e.exitCode === 0,
        attempt: e.attempt,
        label: `${o?.command ?? ''} → exit ${e.exitCode ?? e.signal ?? '?'}`,
      });
    } else {
      const mark = markOf(e, at, row);
      if (mark) g.marks.push(mark);
      noteHeadline(g.headlines, e, at - g.t0);
    }
    ended = e.type === 'run.end';
    lastAt = at;
    g.t1 = at;
  }
  closeOpen(g.t1);
  return g;
  // Commands still open when the CLI died end at its last entry, marked interrupted.
  function closeOpen(end: number) {
    for (const [k, o] of open) {
      const [stateId = '', member = ''] = k.split('|');
      const label = `${o.command} → interrupted`;
      g.bars.push({
        row: row(stateId, member),
        stateId,
        member,
        start: o.at,
        end,
        ok: false,
        attempt: 1,
        label,
      });
    }
    open.clear();
  }
}

export const fmtDuration = (d: number | undefined) =>
  d === undefined
    ? 'n/a'
    : d < 60_000
      ? `${(d / 1000).toFixed(1)} s`
      : `${Math.floor(d / 60_000)} min ${Math.round((d % 60_000) / 1000)} s`;

const ROW = 18;
const LEFT = 300;
const WIDTH = 1100;

export function ganttSvg(g: Gantt): string {
  const span = Math.max(1, g.t1 - g.t0);
  const x = (t: number) => LEFT + ((t - g.t0) / span) * (WIDTH - LEFT - 10);
  const y = (r: string) => 24 + g.rows.indexOf(r) * ROW;
  const H = 34 + g.rows.length * ROW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="lb-gantt" viewBox="0 0 ${WIDTH} ${H}" ` +
      `width="${WIDTH}" height="${H}" font-family="sans-serif" font-size="11">`,
    '<title>timeline per step and host</title>',
    '<defs><pattern id="lb-hatch" width="6" height="6" patternUnits="userSpaceOnUse" ' +
      'patternTransform="rotate(45)"><rect width="3" height="6" fill="#f1aeb5"/></pattern></defs>',
  ];
  for (let i = 0; i <= 5; i++) {
    const t = g.t0 + (span * i) / 5;
    out.push(
      `<line x1="${x(t).toFixed(1)}" y1="14" x2="${x(t).toFixed(1)}" y2="${H - 6}" stroke="#ddd"/>`,
      `<text x="${x(t).toFixed(1)}" y="11" text-anchor="middle" fill="#555">+${esc(fmtDuration(t - g.t0))}</text>`,
    );
  }
  for (const gap of g.gaps)
    out.push(
      `<g class="lb-gap"><title>${esc(gap.label)}: ${esc(fmtDuration(gap.end - gap.start))}` +
        `</title><rect x="${x(gap.start).toFixed(1)}" y="14" ` +
        `width="${Math.max(2, x(gap.end) - x(gap.start)).toFixed(1)}" height="${H - 20}" ` +
        `fill="url(#lb-hatch)" opacity="0.8"/><text x="${(x(gap.start) + 3).toFixed(1)}" y="${H - 8}` +
        `" fill="#842029" font-weight="bold">${esc(gap.label)}</text></g>`,
    );
  for (const r of g.rows)
    out.push(
      `<text class="lb-row" x="${LEFT - 6}" y="${y(r) + 12}" ` +
        `text-anchor="end">${esc(r.length > 48 ? `${r.slice(0, 47)}…` : r)}</text>`,
    );
  for (const b of g.bars)
    out.push(
      `<rect class="lb-bar${b.ok ? '' : ' failed'}${b.attempt > 1 ? ' retried' : ''}" ` +
        `data-state="${esc(b.stateId)}" data-member="${esc(b.member)}" x="${x(b.start).toFixed(1)}" ` +
        `y="${y(b.row) + 3}" width="${Math.max(2, x(b.end) - x(b.start)).toFixed(1)}" ` +
        `height="${ROW - 6}" fill="${b.ok ? (b.attempt > 1 ? '#e0a800' : '#3d8bfd') : '#dc3545'}` +
        `"><title>${esc(b.label)} (${esc(fmtDuration(b.end - b.start))})</title></rect>`,
    );
  const SYM: Record<Mark['kind'], [string, string]> = {
    approval: ['✔', '#198754'],
    waiting: ['■', '#fd7e14'],
    aborted: ['✖', '#dc3545'],
    retry: ['↻', '#e0a800'],
    'verify-ok': ['◆', '#198754'],
    'verify-failed': ['◆', '#dc3545'],
  };
  for (const m of g.marks) {
    const [s, c] = SYM[m.kind];
    out.push(
      `<text class="lb-mark ${m.kind}" x="${x(m.at).toFixed(1)}" y="${y(m.row) + 13}" ` +
        `text-anchor="middle" fill="${c}" font-size="13">${s}<title>${esc(m.label)}</title></text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
