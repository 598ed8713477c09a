// A divergent member (lab break diverge-member: its db edited in place, raft in agreement): diagnose names it and
// replace-member, run on the member while it still runs, brings hashkv equal everywhere with the majority's data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  labEtcdVersion,
} from './runbook-helpers.js';

let lab: Lab;
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-dv-'));
beforeAll(async () => {
  lab = await labUp({ dir: join(dir, 'lab'), members: 3, seedData: true, etcdVersion: labEtcdVersion() });
});
afterAll(async () => {
  await labDown(join(dir, 'lab')).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

interface Diag {
  disagreeing: string[];
  reasons: string[];
}

describe('diverge-member -> replace-member', () => {
  it('diagnose names the divergent member; replace-member on it while it runs: hashkv equal, the majority data kept', async () => {
    const victim = lab.members[1]!.name;
    const want = await clusterValues(lab, lab.members[0]!.name);
    await labBreak(lab, 'diverge-member', victim);
    const bad = await cli(['diagnose', '-i', lab.inventoryPath, '-o', 'json']);
    expectCode(bad, 1);
    const d = JSON.parse(bad.stdout) as Diag;
    expect(d.disagreeing).toEqual([victim]);
    expect(d.reasons.join('\n')).toContain(`— run replace-member --set failed=${victim}`);
    // A read through the victim is served from its own store: exactly one object differs from the majority's.
    const theirs = await clusterValues(lab, victim);
    expect([...want].filter(([k, v]) => !theirs.get(k)?.equals(v))).toHaveLength(1);

    const r = await cli([
      'run',
      'replace-member',
      '-i',
      lab.inventoryPath,
      '--set',
      `failed=${victim}`,
      '--yes',
      '--run-dir',
      join(dir, 'run'),
    ]);
    expectCode(r, 0);
    expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
    await expectHealthyCluster(lab, { asideOn: [victim] });
    for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
  });
});
