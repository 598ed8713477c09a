// `run backup` with retention: a dry run lists what would go, then a destructive step (confirmed after that list)
// deletes only what the list showed; without retention neither step is planned.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listBackups, putFile, putManifest } from '../../src/backup/backups.js';
import { LocalStore } from '../../src/backup/store.js';
import type { DecisionDef, LocalRuntime, PhaseDef, PlanCtx, StepDef } from '../../src/engine/types.js';
import backup from '../../runbooks/backup.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-retention-'));

async function backups(target: string, n: number): Promise<void> {
  const store = new LocalStore(target);
  const f = join(dir, 's.db');
  writeFileSync(f, 'snapshot');
  const sha = createHash('sha256').update('snapshot').digest('hex');
  for (let i = 1; i <= n; i++) {
    const stored = await putFile(store, `c-2026010${i}`, 's.db', f, sha);
    await putManifest(store, {
      format: 'lifeboat-backup/1',
      id: `c-2026010${i}`,
      cluster: 'c',
      takenAt: `2026-01-0${i}T00:00:00.000Z`,
      encrypted: false,
      verified: true,
      members: [],
      files: [stored],
    });
  }
}

const retention = backup.nodes.find((x): x is DecisionDef => x.kind === 'decision' && x.id === 'retention')!;
const ctx = (params: Record<string, string>) =>
  ({ params, stamp: '20260201T000000Z', inventory: { cluster: 'c', members: [] } }) as unknown as PlanCtx;

describe('run backup retention', () => {
  it('is planned only when retention is configured; the deletion is destructive', () => {
    expect(retention.decide(ctx({})).branch).toBe('none');
    expect(retention.decide(ctx({ keep: '2' })).branch).toBe('prune');
    const [list, del] = (retention.branches.prune as PhaseDef[])[0]!.steps;
    expect(list!.destructive).toBeFalsy();
    expect(del!.destructive).toBe(true);
  });

  it('lists what keep=2 would delete, then deletes only what the list showed', async () => {
    const target = join(dir, 'store');
    await backups(target, 4);
    const [list, del] = (retention.branches.prune as PhaseDef[])[0]!.steps as [StepDef, StepDef];
    const c = ctx({ keep: '2', to: target });
    const logged: string[] = [];
    const rt = (outputs: LocalRuntime['outputs']): LocalRuntime => ({ outputs, log: (m) => logged.push(m) });
    const dry = await list.local!.run(c, rt({}));
    expect(dry).toMatchObject({ wouldPrune: ['c-20260102', 'c-20260101'] });
    expect(logged).toEqual([
      'prune would delete backup c-20260102 (taken 2026-01-02T00:00:00.000Z)',
      'prune would delete backup c-20260101 (taken 2026-01-01T00:00:00.000Z)',
    ]);
    expect((await listBackups(new LocalStore(target))).map((m) => m.id)).toHaveLength(4);
    // The list the operator saw names only the oldest: the other one retention selects stays.
    const done = await del.local!.run(c, rt({ 'prune/list': { local: { wouldPrune: ['c-20260101'] } } }));
    expect(done).toEqual({ pruned: ['c-20260101'], notListedKept: ['c-20260102'] });
    expect((await listBackups(new LocalStore(target))).map((m) => m.id).sort()).toEqual([
      'c-20260102',
      'c-20260103',
      'c-20260104',
    ]);
  });
});
