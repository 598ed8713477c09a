// Incidents on the lab with real etcd: a small quota filled until NOSPACE; diagnose reports it per member (exit 1).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';

const BIN = join(process.cwd(), 'bin', 'lifeboat');
const QUOTA = 4 * 1024 * 1024;
const diagnose = (inv: string, json = false) =>
  spawnSync(process.execPath, [BIN, 'diagnose', '-i', inv, ...(json ? ['--output', 'json'] : [])], {
    encoding: 'utf8',
    timeout: 60_000,
  });
let lab: Lab;

beforeAll(async () => {
  lab = await labUp({
    dir: join(mkdtempSync(join(tmpdir(), 'lb-incidents-')), 'lab'),
    seedData: true,
    quotaBytes: QUOTA,
  });
});
afterAll(async () => {
  if (lab) await labDown(lab.dir);
});

interface Diag {
  verdict: string;
  alarms: Array<{ member: string; alarm: string }>;
  storage: Array<{ member: string; dbSize: number; quota: number; usedPct: number; quotaFrom: string }>;
  reasons: string[];
}

describe('fill-quota', () => {
  it('healthy under the small quota, then NOSPACE after fill-quota: diagnose exit 1 naming free-space', async () => {
    const ok = diagnose(lab.inventoryPath, true);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const before = JSON.parse(ok.stdout) as Diag;
    expect(before.storage.map((s) => [s.member, s.quota, s.quotaFrom])).toEqual(
      lab.members.map((m) => [m.name, QUOTA, 'metrics']),
    );

    const r = await labBreak(lab, 'fill-quota');
    expect(r.actions.join('\n')).toMatch(/database space exceeded/);
    const bad = diagnose(lab.inventoryPath, true);
    expect(bad.status, bad.stdout + bad.stderr).toBe(1);
    const d = JSON.parse(bad.stdout) as Diag;
    expect(d.verdict).toBe('degraded');
    expect(d.alarms.map((a) => a.alarm)).toContain('NOSPACE');
    expect(d.alarms.every((a) => lab.members.some((m) => m.name === a.member))).toBe(true);
    for (const s of d.storage) expect(s.usedPct, s.member).toBeGreaterThan(80);
    expect(d.reasons.join('\n')).toMatch(/alarm NOSPACE .* — run free-space/);

    const text = diagnose(lab.inventoryPath);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^space:$/m);
    expect(text.stdout).toMatch(/alarms NOSPACE/);
  });
});
