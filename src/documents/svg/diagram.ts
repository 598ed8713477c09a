// The runbook's machine drawn as SVG offline: dagre lays the graph out, we draw boxes, diamonds and arrows ourselves.
import dagre from '@dagrejs/dagre';
import { edges, type Compiled } from '../../engine/machine.js';
import { esc } from './escape.js';

/** How a state fared in a run, for highlighting the path taken. */
export type StateMark = 'done' | 'failed' | 'skipped' | 'retried' | 'running' | 'waiting' | 'visited';

export interface DiagramOptions {
  marks?: Map<string, StateMark>;
  title?: string;
}

const WRAP = 30;
const DESTRUCTIVE = '⚠ destructive: asks first';
const LINE = 15;

/** Words wrapped to lines of at most `width` characters, at most `max` lines (the last one cut with …). */
export function wrap(text: string, width = WRAP, max = 3): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  if (lines.length > max) {
    lines.length = max;
    lines[max - 1] = `${lines[max - 1]!.slice(0, width - 1)}…`;
  }
  return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
}

interface Box {
  id: string;
  kind: 'step' | 'decision' | 'final';
  lines: string[];
  destructive: boolean;
}

function boxes(c: Compiled): Map<string, Box> {
  const out = new Map<string, Box>();
  for (const [id, info] of c.states) {
    if (info.kind === 'decision')
      out.set(id, { id, kind: 'decision', lines: wrap(info.decision.title, 24, 3), destructive: false });
    else
      out.set(id, {
        id,
        kind: 'step',
        lines: [id, ...wrap(info.step.title, WRAP, 2), ...(info.step.destructive ? [DESTRUCTIVE] : [])],
        destructive: info.step.destructive === true,
      });
  }
  return out;
}

const FILL: Record<StateMark, string> = {
  done: '#d4edda',
  visited: '#d4edda',
  failed: '#f8d7da',
  skipped: '#e2e3e5',
  retried: '#fff3cd',
  running: '#cfe2ff',
  waiting: '#ffe69c',
};

export function diagramSvg(c: Compiled, opts: DiagramOptions = {}): string {
  const marks = opts.marks ?? new Map<string, StateMark>();
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 36, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const all = boxes(c);
  const es = edges(c.machine).filter((e) => e.event !== 'ABORT' && e.event !== 'SKIP');
  const used = new Set<string>([c.initial, ...es.flatMap((e) => [e.from, e.to])]);
  for (const id of used) {
    if (!all.has(id)) all.set(id, { id, kind: 'final', lines: [id], destructive: false });
    const b = all.get(id)!;
    const w = Math.max(...b.lines.map((l) => l.length)) * 7 + 24;
    const h = b.lines.length * LINE + 16;
    g.setNode(id, b.kind === 'decision' ? { width: w + 40, height: h + 24 } : { width: w, height: h });
  }
  for (const e of es) {
    const label = e.event.startsWith('BRANCH.') ? e.event.slice(7) : '';
    g.setEdge(e.from, e.to, label ? { label, width: label.length * 7 + 6, height: 14 } : {});
  }
  dagre.layout(g);
  const gr = g.graph();
  const W = Math.ceil(gr.width ?? 100);
  const H = Math.ceil(gr.height ?? 100);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="lb-diagram" viewBox="0 0 ${W} ${H}" width="${W}` +
      `" height="${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(opts.title ?? 'runbook diagram')}</title>`,
    '<defs><marker id="lb-arrow" viewBox="0 0 10 10" refX="9" refY="5" ' +
      'markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" ' +
      'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#555"/></marker></defs>',
  ];
  for (const e of g.edges()) {
    const d = g.edge(e);
    const pts = (d.points ?? [])
      .map((p: { x: number; y: number }) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
      .join(' ');
    const taken = marks.has(e.v) && marks.has(e.w);
    out.push(
      `<polyline class="lb-edge${taken ? ' taken' : ''}" data-from="${esc(e.v)}" ` +
        `data-to="${esc(e.w)}" points="${pts}" fill="none" stroke="${taken ? '#198754' : '#888'}" ` +
        `stroke-width="${taken ? 3 : 1.2}" marker-end="url(#lb-arrow)"/>`,
    );
    if (d.label && d.x !== undefined && d.y !== undefined)
      out.push(
        `<text class="lb-edge-label" x="${d.x.toFixed(1)}" y="${(d.y + 4).toFixed(1)}" ` +
          `text-anchor="middle" fill="#333" font-style="italic">${esc(d.label)}</text>`,
      );
  }
  for (const id of g.nodes()) out.push(node(all.get(id)!, g.node(id), marks.get(id)));
  out.push('</svg>');
  return out.join('\n');
}

function node(b: Box, n: { x: number; y: number; width: number; height: number }, given?: StateMark): string {
  const { x, y, width: w, height: h } = n;
  // A mark comes from the audit log, which a forged run dir controls: only a known one is drawn.
  const mark = given !== undefined && Object.hasOwn(FILL, given) ? given : undefined;
  const fill = mark ? FILL[mark] : b.kind === 'final' ? '#f0f0f0' : '#ffffff';
  const stroke = b.destructive ? '#c00000' : '#444';
  const sw = b.destructive ? 2.5 : 1.2;
  const cls = `lb-node lb-${b.kind}${b.destructive ? ' destructive' : ''}${mark ? ` ${mark}` : ''}`;
  const shape =
    b.kind === 'decision'
      ? `<polygon points="${x},${y - h / 2} ${x + w / 2},${y} ${x},${y + h / 2} ${x - w / 2},${y}" ` +
        `fill="${fill}" stroke="${stroke}" stroke-width="${sw}"/>`
      : b.kind === 'final'
        ? `<rect x="${x - w / 2}" y="${y - h / 2}" width="${w}" height="${h}" rx="${h / 2}" ` +
          `fill="${fill}" stroke="${stroke}" stroke-width="${sw}"/>`
        : `<rect x="${(x - w / 2).toFixed(1)}" y="${(y - h / 2).toFixed(1)}" width="${w.toFixed(1)}" ` +
          `height="${h.toFixed(1)}" rx="4" fill="${fill}" stroke="${stroke}" stroke-width="${sw}` +
          `"${b.destructive ? ' stroke-dasharray="6 2"' : ''}/>`;
  const top = y - ((b.lines.length - 1) * LINE) / 2 + 4;
  const text = b.lines
    .map(
      (l, i) =>
        `<text x="${x.toFixed(1)}" y="${(top + i * LINE).toFixed(1)}" ` +
        `text-anchor="middle"${i === 0 && b.kind === 'step' ? ' font-weight="bold"' : ''}` +
        `${l === DESTRUCTIVE ? ' fill="#c00000" font-size="11"' : ''}>${esc(l)}</text>`,
    )
    .join('');
  const status =
    mark && b.kind !== 'decision'
      ? `<text x="${(x - w / 2 + 6).toFixed(1)}" y="${(y + h / 2 - 4).toFixed(1)}" font-size="10" ` +
        `fill="#333">${esc(mark)}</text>`
      : '';
  return (
    `<g class="${esc(cls)}" data-state="${esc(b.id)}"><title>${esc(b.id)}` +
    `${b.destructive ? ' (destructive)' : ''}${mark ? `: ${esc(mark)}` : ''}</title>${shape}${text}` +
    `${status}</g>`
  );
}
