// `lifeboat show RUNBOOK [--format text|mermaid|svg]`: its steps, and the diagram generated from the machine.
import { oneOf, parse } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { compile } from '../../engine/machine.js';
import { mermaid } from '../../documents/mermaid.js';
import { loadRunbook } from '../../engine/registry.js';
import type { Node } from '../../engine/types.js';

const HELP = `Usage: lifeboat show RUNBOOK [--format text|mermaid|svg]`;

function describeTargets(t: { kind: string; describe?: string }): string {
  return t.kind === 'pick'
    ? (t.describe ?? 'chosen members')
    : t.kind === 'each'
      ? 'each member in turn'
      : t.kind === 'all'
        ? 'all members in parallel'
        : 'operator machine';
}

export function textOf(nodes: Node[], indent = ''): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    if (n.kind === 'phase') {
      out.push(`${indent}Phase ${n.id}: ${n.title}`);
      for (const s of n.steps) {
        out.push(
          `${indent}  - ${n.id}/${s.id}: ${s.title}${s.destructive ? '  [DESTRUCTIVE: confirmation required]' : ''}`,
        );
        out.push(
          `${indent}      targets: ${describeTargets(s.targets)}` +
            `${s.check ? '; re-run safe: has an already-done check' : ''}` +
            `${s.verify ? '; verified after' : ''}${s.retries ? `; retries ${s.retries}` : ''}`,
        );
        if (s.changes) out.push(`${indent}      changes: ${s.changes}`);
        if (s.hint) out.push(`${indent}      on failure: ${s.hint}`);
      }
    } else {
      out.push(`${indent}Decision ${n.id}: ${n.title}`);
      for (const [b, sub] of Object.entries(n.branches)) {
        out.push(`${indent}  when ${b}:${sub === 'refuse' ? ' refuse (nothing changes)' : ''}`);
        if (sub !== 'refuse') out.push(...textOf(sub, `${indent}    `));
      }
    }
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('show', argv, { format: { type: 'string' } });
  if (values.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  const id = positionals[0];
  if (!id) throw usage('show: which runbook?', "run 'lifeboat runbooks' for the list");
  const format = oneOf('show', 'format', values.format, ['text', 'mermaid', 'svg'] as const, 'text');
  const { def } = await loadRunbook(id);
  const compiled = compile(def);
  if (format === 'svg') {
    const { diagramSvg } = await import('../../documents/svg/diagram.js');
    process.stdout.write(diagramSvg(compiled, { title: `${def.id}: ${def.title}` }) + '\n');
    return EXIT.ok;
  }
  if (format === 'mermaid') {
    process.stdout.write(mermaid(compiled) + '\n');
    return EXIT.ok;
  }
  const params = Object.keys((def.params as unknown as { shape?: Record<string, unknown> }).shape ?? {});
  process.stdout.write(
    [
      `${def.id}: ${def.title}`,
      '',
      def.summary,
      '',
      `When: ${def.when}`,
      `Parameters (--set): ${params.join(', ') || 'none'}`,
      '',
      ...textOf(def.nodes),
    ].join('\n') + '\n',
  );
  return EXIT.ok;
}
