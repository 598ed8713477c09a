// Mermaid diagrams generated from the compiled machine (not written by hand), optionally with the path taken.
import { edges, FINAL, type Compiled } from '../engine/machine.js';

export function mermaid(c: Compiled, taken: Set<string> = new Set()): string {
  const ids = new Map<string, string>();
  const idOf = (s: string) => {
    let v = ids.get(s);
    if (!v) ids.set(s, (v = `s${ids.size}`));
    return v;
  };
  const esc = (s: string) => s.replace(/"/g, "'");
  const lines = ['flowchart TD', `  start((start)) --> ${idOf(c.initial)}`];
  const declared = new Set<string>();
  const declare = (s: string) => {
    if (declared.has(s)) return;
    declared.add(s);
    const info = c.states.get(s);
    if (!info) lines.push(`  ${idOf(s)}(((${s})))`);
    else if (info.kind === 'decision') lines.push(`  ${idOf(s)}{"${esc(info.decision.title)}"}`);
    else lines.push(`  ${idOf(s)}["${esc(`${s}<br/>${info.step.title}`)}"]`);
  };
  declare(c.initial);
  for (const e of edges(c.machine)) {
    if (e.event === 'ABORT' || e.event === 'SKIP') continue;
    declare(e.from);
    declare(e.to);
    const label = e.event.startsWith('BRANCH.') ? `|${e.event.slice(7)}|` : '';
    lines.push(`  ${idOf(e.from)} -->${label} ${idOf(e.to)}`);
  }
  const destructive = [...c.states.values()]
    .filter((i) => i.kind === 'step' && i.step.destructive)
    .map((i) => idOf(i.id));
  lines.push('  classDef destructive stroke:#c00,stroke-width:2px');
  if (destructive.length) lines.push(`  class ${destructive.join(',')} destructive`);
  const path = [...taken].filter((s) => ids.has(s)).map(idOf);
  if (path.length) {
    lines.push('  classDef taken fill:#cfe8cf');
    lines.push(`  class ${path.join(',')} taken`);
  }
  void FINAL;
  return lines.join('\n');
}
