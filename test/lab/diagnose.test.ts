// lifeboat diagnose on the lab: exit 0 healthy, 1 degraded (a member down, named), 3 quorum lost.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';

const BIN = join(process.cwd(), 'bin', 'lifeboat');
const diagnose = (inv: string, json = false) =>
  spawnSync(process.execPath, [BIN, 'diagnose', '-i', inv, ...(json ? ['--output', 'json'] : [])], {
    encoding: 'utf8',
    timeout: 60_000,
  });
let lab: Lab;

beforeAll(async () => {
  lab = await labUp({ dir: join(mkdtempSync(join(tmpdir(), 'lb-diag-lab-')), 'lab'), seedData: true });
});
afterAll(async () => {
  if (lab) await labDown(lab.dir);
});

describe('diagnose on the lab', () => {
  it('healthy, then degraded with the member named, then quorum lost', async () => {
    const ok = diagnose(lab.inventoryPath, true);
    expect(ok.status, ok.stderr).toBe(0);
    const d = JSON.parse(ok.stdout) as {
      verdict: string;
      consistency: Array<{ keys: number; hash: string }>;
      facts: { memberList: unknown[] };
    };
    expect(d.verdict).toBe('healthy');
    expect(d.facts.memberList).toHaveLength(3);
    expect(new Set(d.consistency.map((c) => c.hash)).size).toBe(1);
    expect(d.consistency[0]!.keys).toBeGreaterThan(1000);

    await labBreak(lab, 'kill-member', 'cp-2');
    const degraded = diagnose(lab.inventoryPath);
    expect(degraded.status).toBe(1);
    expect(degraded.stdout).toMatch(/DEGRADED/);
    expect(degraded.stdout).toMatch(/cp-2: etcd is not running/);

    await labBreak(lab, 'lose-quorum');
    const lost = diagnose(lab.inventoryPath);
    expect(lost.status).toBe(3);
    expect(lost.stdout).toMatch(/QUORUM-LOST/);
  });
});
