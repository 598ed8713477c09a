// The committed schema table is what the generator makes from the Debian sources (scripts/gen-k8s-schema.mjs --check).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const GEN = join(ROOT, 'scripts/gen-k8s-schema.mjs');
const gen = (...args: string[]) =>
  spawnSync(process.execPath, [GEN, ...args], { encoding: 'utf8', cwd: ROOT });

describe('scripts/gen-k8s-schema.mjs --check', () => {
  it('passes on the committed table', () => {
    const r = gen('--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^gen-k8s-schema: \d+ files up to date/);
  });

  it('fails, naming the file, when a copy of the table differs by one field', () => {
    const out = mkdtempSync(join(tmpdir(), 'lb-schema-'));
    cpSync(join(ROOT, 'src/k8s/schema/generated'), out, { recursive: true });
    const f = join(out, 'core.v1.ts');
    const text = readFileSync(f, 'utf8');
    expect(text).toContain('immutable=4:*b data');
    writeFileSync(f, text.replace('immutable=4:*b data', 'immutable=4:*s data'));
    const r = gen('--check', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/1 file\(s\) out of date \(core\.v1\.ts\)/);
  });
});
