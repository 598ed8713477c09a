// Every rendered script of every runbook x topology x tool mode parses under sh -n (one sh per case, scripts as functions).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { matrix, planOf, scriptsOf } from '../helpers/plans.js';
import { probeScript } from '../../src/etcd/facts.js';

function parses(script: string): string {
  try {
    execFileSync('sh', ['-n'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

describe('sh -n', () => {
  it.each(matrix().map((c) => [c.name, c] as const))('%s: every script parses', (_name, c) => {
    const scripts = [
      ...scriptsOf(planOf(c)),
      ...c.ctx.inventory.members.map((m) => ({ where: `probe ${m.name}`, script: probeScript(m) })),
    ];
    expect(scripts.length).toBeGreaterThan(0);
    // One sh per case, each script a function body of its own; on a failure, the failing ones are named.
    const all = scripts.map((s, i) => `f${i}() {\n${s.script}\n}`).join('\n');
    if (parses(all) === '') return;
    for (const s of scripts) expect(parses(s.script), s.where).toBe('');
    expect(parses(all), 'the scripts as functions').toBe('');
  });
});
