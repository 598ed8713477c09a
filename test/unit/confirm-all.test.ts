// Every confirmation of every destructive step of every runbook, rendered from plans alone (nothing runs):
// at 120 columns it fits in 15 lines, says "step N of M", and `d` lists identical command lists once with their hosts.
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/machine.js';
import { plan, stepsOf, type Plan } from '../../src/engine/plan.js';
import { loadRunbook, RUNBOOK_IDS } from '../../src/engine/registry.js';
import { InventorySchema } from '../../src/inventory/schema.js';
import { resolveInventory } from '../../src/inventory/resolve.js';
import { commandGroups, confirmationLines } from '../../src/render/confirm.js';
import { stepHeader } from '../../src/render/tty.js';
import { describeAction } from '../../src/engine/runner.js';
import { inventoryDoc, matrix, planOf } from '../helpers/plans.js';
import type { Facts } from '../../src/etcd/facts.js';
import readdress from '../../runbooks/readdress.js';

/** readdress is not in the shared matrix: two of three members moved, on every topology the matrix covers. */
function readdressPlans(): Plan[] {
  const topologies = [...new Set(matrix().map((c) => c.ctx.inventory.topology))];
  return topologies.map((topology) => {
    const doc = inventoryDoc(topology, 3, {
      member: (i) => (i < 2 ? { previousAddress: `10.9.0.${i + 11}` } : {}),
    });
    const inventory = resolveInventory(InventorySchema.parse(doc), '/tmp');
    const facts: Facts = {
      probed: true,
      members: Object.fromEntries(
        inventory.members.map((m) => [
          m.name,
          { reachable: true, etcdUp: true, healthy: true, dataDirExists: true },
        ]),
      ),
    };
    return plan(readdress, {
      inventory,
      facts,
      params: {},
      runId: 'r',
      stamp: '20260101T000000Z',
      files: {},
    });
  });
}

/** Restores onto new machines: a backup folder (its PKI and manifests) and a member that moved. */
function newMachinesPlans(): Plan[] {
  return matrix()
    .filter((c) => c.runbook.id.startsWith('restore-'))
    .map((c) => {
      const doc = inventoryDoc(c.ctx.inventory.topology, c.ctx.inventory.members.length, {
        member: (i) => (i === 0 ? { previousAddress: '10.9.0.11' } : {}),
      });
      const inventory = resolveInventory(InventorySchema.parse(doc), '/tmp');
      const configs = Object.fromEntries(
        inventory.members.map((m) => [
          `/backups/b1/${m.name}-config.tar`,
          { sha256: 'cd'.repeat(32), bytes: 10, role: 'config' as const, member: m.name },
        ]),
      );
      return plan(c.runbook, {
        ...c.ctx,
        inventory,
        params: { ...c.ctx.params, backup: '/backups/b1' },
        files: { ...c.ctx.files, ...configs },
      });
    });
}

/** The inventory says how to restart the kubelets: the restore runbooks and recover-quorum then run it, confirmed. */
function kubeletPlans(): Plan[] {
  return (
    matrix()
      .filter((c) => c.runbook.id.startsWith('restore-') || c.runbook.id === 'recover-quorum')
      // One plan per runbook is enough to reach the step (the test is near its time limit on a loaded machine).
      .filter((c, i, all) => all.findIndex((o) => o.runbook.id === c.runbook.id) === i)
      .map((c) => {
        const doc = {
          ...inventoryDoc(c.ctx.inventory.topology, c.ctx.inventory.members.length),
          kubelet: { restartUnit: 'kubelet' },
        };
        return plan(c.runbook, { ...c.ctx, inventory: resolveInventory(InventorySchema.parse(doc), '/tmp') });
      })
  );
}

const plans = () => [...matrix().map(planOf), ...readdressPlans(), ...newMachinesPlans(), ...kubeletPlans()];

describe('confirmations of every destructive step', () => {
  it('every destructive state of every runbook is in some plan here (else this test covers too little)', async () => {
    const seen = new Set(plans().flatMap((p) => stepsOf(p).map((s) => `${p.runbook} ${s.stateId}`)));
    const missing: string[] = [];
    for (const id of RUNBOOK_IDS) {
      const { def } = await loadRunbook(id);
      for (const [stateId, info] of compile(def).states)
        if (info.kind === 'step' && info.step.destructive && !seen.has(`${id} ${stateId}`))
          missing.push(`${id} ${stateId}`);
    }
    expect(missing).toEqual([]);
  });

  it('each fits in 15 lines of at most 120 columns, with step N of M, the hosts and the keys', () => {
    let checked = 0;
    for (const p of plans()) {
      const steps = stepsOf(p);
      for (const [i, step] of steps.entries()) {
        if (!step.destructive) continue;
        const where = `${p.runbook} ${p.topology} ${step.stateId}`;
        const lines = confirmationLines({ plan: p, step }, 120);
        expect(lines.length, where).toBeLessThanOrEqual(15);
        for (const l of lines) expect(l.length, `${where}: ${l}`).toBeLessThanOrEqual(120);
        const text = lines.join('\n');
        expect(text, where).toContain(`step ${i + 1} of ${steps.length}`);
        for (const h of step.hosts) expect(text, where).toContain(h.member);
        expect(lines.at(-1), where).toMatch(/\[y\].*\[n\].*\[d\].*\[a\]/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('d: identical command lists once, with every host sharing them; different ones each under their host', () => {
    for (const p of plans())
      for (const step of stepsOf(p).filter((s) => s.destructive && s.hosts.length > 0)) {
        const where = `${p.runbook} ${p.topology} ${step.stateId}`;
        const out = commandGroups(step);
        const heads = out.filter((l) => l.startsWith('── '));
        const lists = new Set(step.hosts.map((h) => h.actions.map(describeAction).join('\n')));
        expect(heads.length, where).toBe(lists.size + (step.local ? 1 : 0));
        for (const h of step.hosts) expect(heads.filter((l) => l.includes(h.member)).length, where).toBe(1);
        // Every command line is there, indented under its group.
        for (const h of step.hosts)
          for (const a of h.actions)
            for (const l of describeAction(a).split('\n')) expect(out, where).toContain(`   ${l}`);
      }
  });
});

describe('progress line', () => {
  const p = planOf(matrix().find((c) => c.runbook.id === 'recover-quorum')!);
  const steps = stepsOf(p);
  const s = steps[3]!;
  it('names the phase, step N of M and the elapsed time, cut to the width', () => {
    const line = stepHeader({
      plan: p,
      stateId: s.stateId,
      title: s.title,
      hosts: ['cp-1'],
      elapsedMs: 83_000,
      width: 200,
    });
    expect(line).toContain(`[step 4 of ${steps.length} · 1:23 · ${s.phaseTitle.slice(0, 20)}`);
    expect(line).toContain(`${s.stateId}: ${s.title} [cp-1]`);
    const long = stepHeader({
      plan: p,
      stateId: s.stateId,
      title: 'x'.repeat(300),
      hosts: [],
      elapsedMs: 3_723_000,
      width: 60,
    });
    expect(long.length).toBe(60);
    expect(long).toContain('1:02:03');
    expect(long.endsWith('…')).toBe(true);
  });
});
