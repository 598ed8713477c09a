// The plan as text: every step resolved to the exact commands per host, destructive ones marked.
import type { Plan } from '../engine/plan.js';
import { describeAction } from '../engine/runner.js';

export function planText(p: Plan, redact: (s: string) => string = (s) => s): string {
  const out: string[] = [
    `Plan: ${p.runbook} — ${p.title}`,
    `Cluster: ${p.cluster} (${p.topology})`,
    'Tools:',
  ];
  for (const [m, t] of Object.entries(p.tools)) out.push(`  ${m}: ${t}`);
  for (const w of p.warnings) out.push(`WARNING: ${w}`);
  out.push('');
  let n = 0;
  for (const item of p.items) {
    if (item.kind === 'decision') {
      out.push(`◆ ${item.title}: ${item.branch} — ${item.why}`, '');
      continue;
    }
    n++;
    out.push(
      `${n}. ${item.stateId}: ${item.title}${item.destructive ? '   [DESTRUCTIVE — needs confirmation]' : ''}`,
    );
    out.push(
      `   targets: ${item.targets}; timeout ${Math.round(item.timeoutMs / 1000)}` +
        `s${item.retries ? `; retries ${item.retries}` : ''}`,
    );
    if (item.changes) out.push(`   changes: ${item.changes}`);
    if (item.local) out.push(`   local: ${item.local}`);
    for (const h of item.hosts) {
      out.push(`   [${h.member}]`);
      for (const a of h.actions)
        out.push(
          ...redact(describeAction(a))
            .split('\n')
            .map((l, i) => `${i ? '       ' : '     $ '}${l}`),
        );
      if (h.check) out.push(`     already done if: ${redact(h.check).split('\n').join(' ; ')}`);
      if (h.verify)
        out.push(
          `     verify${h.verify.waitMs ? ` (up to ${Math.round(h.verify.waitMs / 1000)}s)` : ''}: ` +
            `${redact(h.verify.script).split('\n').join(' ; ')}`,
        );
    }
    out.push('');
  }
  out.push(
    p.outcome === 'refused'
      ? `Outcome: REFUSED — ${p.refusal ?? ''} (nothing would change)`
      : `Outcome: ${n} step(s); nothing has been changed (dry run).`,
  );
  return out.join('\n');
}
