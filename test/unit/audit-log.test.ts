// The audit log as evidence: a torn last line is set aside and never glued; empty or non-JSONL files are not audit logs.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, verifyAudit } from '../../src/engine/record/audit.js';

const dir = () => mkdtempSync(join(tmpdir(), 'lifeboat-audit-'));
const at = new Date('2026-01-01T00:00:00Z');

describe('audit log', () => {
  it('a torn last line is kept aside, cut off, and the chain verifies after the next append', () => {
    const d = dir();
    const f = join(d, 'audit.jsonl');
    const a = new AuditLog(f);
    a.append({ type: 'warning', message: 'one' }, at);
    a.append({ type: 'warning', message: 'two' }, at);
    a.close();
    appendFileSync(f, '{"seq":3,"ts":"2026-01-01T00:00:00.000Z","type":"warn');
    const b = new AuditLog(f);
    expect(b.repaired).toMatch(/torn last line .* set aside/);
    b.append({ type: 'warning', message: b.repaired! }, at);
    b.close();
    expect(verifyAudit(f)).toMatchObject({ ok: true, entries: 3 });
    const aside = readdirSync(d).filter((x) => x.startsWith('audit.jsonl.torn-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(d, aside[0]!), 'utf8')).toMatch(/"type":"warn$/);
    expect(
      readFileSync(f, 'utf8')
        .split('\n')
        .every((l) => l === '' || l.endsWith('}')),
    ).toBe(true);
  });

  it('an empty file, random bytes or JSON that is not an entry is "not an audit log"', () => {
    const d = dir();
    for (const [name, body] of [
      ['empty', ''],
      ['random', 'x\u0001\u0002garbage\n'],
      ['json', '[1,2,3]\n'],
    ] as const) {
      const f = join(d, name);
      writeFileSync(f, body);
      const r = verifyAudit(f);
      expect(r.ok, name).toBe(false);
      expect(!r.ok && r.reason, name).toMatch(/not an audit log/);
    }
    expect(existsSync(d)).toBe(true);
  });
});

describe('audit verify --expect-head', () => {
  it('a log cut after its anchor fails, saying it is shorter than its anchor; the full log passes', async () => {
    const { run } = await import('../../src/cli/audit/index.js');
    const d = dir();
    const f = join(d, 'audit.jsonl');
    const a = new AuditLog(f);
    for (let i = 0; i < 8; i++) a.append({ type: 'warning', message: `m${i}` }, at);
    const head = a.headHash;
    a.close();
    const errs: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    const out = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((s: string) => (errs.push(s), true)) as typeof process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await run(['verify', d, '--expect-head', head])).toBe(0);
      const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean);
      writeFileSync(f, lines.slice(0, -5).join('\n') + '\n');
      expect(await run(['verify', d])).toBe(0); // the chain alone cannot see a cut tail
      expect(await run(['verify', d, '--expect-head', head])).toBe(1);
    } finally {
      process.stderr.write = orig;
      process.stdout.write = out;
    }
    expect(errs.join('')).toMatch(/shorter than its anchor/);
  });
});
