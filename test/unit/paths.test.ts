// Every path of every shipped runbook machine, enumerated with @xstate/graph and driven with a fake executor.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSimplePaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { compile, FINAL } from '../../src/engine/machine.js';
import { hostCtx, planned } from '../../src/engine/plan.js';
import { availableRunbooks, loadRunbook } from '../../src/engine/registry.js';
import type { Facts } from '../../src/etcd/facts.js';
import type { PlanCtx } from '../../src/engine/types.js';
import { describeAction } from '../../src/engine/runner.js';
import { loadInventory } from '../../src/inventory/load.js';
import { FakeExecutor } from '../helpers/fake-executor.js';

const dir = mkdtempSync(join(tmpdir(), 'lb-paths-'));
const inv = (topology: string) => {
  const f = join(dir, `${topology}.yaml`);
  writeFileSync(
    f,
    `apiVersion: lifeboat/v1\ncluster: paths\ntopology: ${topology}\nmembers:\n  - { name: cp-1, address: 127.0.0.2 }\n  - { name: cp-2, address: 127.0.0.3 }\n  - { name: cp-3, address: 127.0.0.4 }\n`,
  );
  return loadInventory(f);
};
const facts: Facts = {
  probed: true,
  members: Object.fromEntries(
    ['cp-1', 'cp-2', 'cp-3'].map((n, i) => [
      n,
      {
        reachable: true,
        etcdUp: i === 0,
        healthy: i === 0,
        etcdctl: '/usr/bin/etcdctl',
        etcdctlVersion: '3.4.23',
        etcdUser: 'root',
        dataDirExists: true,
        status: {
          memberId: `${i + 1}`,
          leader: '1',
          raftIndex: 100 - i,
          raftTerm: 2,
          revision: 50,
          dbSize: 1,
          version: '3.4.23',
          isLearner: false,
        },
      },
    ]),
  ),
  memberList: ['cp-1', 'cp-2', 'cp-3'].map((n, i) => ({
    id: `${i + 1}a`,
    name: n,
    peerURLs: [`https://127.0.0.${i + 2}:2380`],
    clientURLs: [`https://127.0.0.${i + 2}:2379`],
    isLearner: false,
  })),
};

describe.each(availableRunbooks())('runbook %s', (id) => {
  it.each(['static-pod', 'systemd'])(
    'every path reaches a final state and every step renders commands (%s)',
    async (topology) => {
      const { def } = await loadRunbook(id);
      const compiled = compile(def);
      const branchEvents = [...compiled.states.values()].flatMap((i) =>
        i.kind === 'decision' ? Object.keys(i.decision.branches).map((b) => ({ type: `BRANCH.${b}` })) : [],
      );
      const paths = getSimplePaths(compiled.machine, {
        events: [{ type: 'DONE' }, { type: 'ABORT' }, ...branchEvents] as never,
      });
      const finals = paths.filter((p) => Object.values(FINAL).includes(String(p.state.value) as never));
      expect(finals.some((p) => p.state.value === FINAL.done)).toBe(true);
      const ctx: PlanCtx = {
        inventory: inv(topology),
        facts,
        params: { snapshot: '/tmp/snap.db', failed: 'cp-3', survivor: 'cp-1' },
        runId: 'r',
        stamp: '20261122T000000Z',
        files: { '/tmp/snap.db': { sha256: 'a'.repeat(64), bytes: 1 } },
      };
      const ex = new FakeExecutor();
      for (const p of finals) {
        for (const step of p.steps) {
          const info = compiled.states.get(String(step.state.value));
          if (info?.kind !== 'step' || !info.step.actions) continue;
          for (const m of ctx.inventory.members) {
            const actions = info.step.actions(hostCtx(ctx, m.name, () => undefined));
            for (const a of actions) {
              const cmd = describeAction(planned(a));
              expect(cmd.length).toBeGreaterThan(0);
              await ex.exec(m.name, cmd);
            }
          }
        }
      }
      expect(ex.calls.length).toBeGreaterThan(0);
    },
  );
});
