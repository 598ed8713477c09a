// The runbook pages and diagrams in docs/runbooks are generated from the machines: the committed ones must match.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('docs/runbooks', () => {
  it('regenerate identically (node scripts/gen-runbook-docs.mjs --check)', () => {
    const r = spawnSync('node', [join(ROOT, 'scripts/gen-runbook-docs.mjs'), '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 280_000,
    });
    expect(r.stdout + r.stderr, 'run node scripts/gen-runbook-docs.mjs and commit docs/runbooks').toBe('');
    expect(r.status).toBe(0);
  }, 300_000);
});
