// Entry gates: a runbook refuses (before anything runs) when the probe's facts show another incident, and names the
// runbook that fits with its command line; it goes ahead when the facts fit.
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine/plan.js';
import type { PlanCtx, RunbookDef } from '../../src/engine/types.js';
import type { Facts, MemberFacts } from '../../src/etcd/facts.js';
import type { CertInfo } from '../../src/etcd/certcheck.js';
import { InventorySchema } from '../../src/inventory/schema.js';
import { resolveInventory } from '../../src/inventory/resolve.js';
import recoverQuorum from '../../runbooks/recover-quorum.js';
import replaceMember from '../../runbooks/replace-member.js';
import restoreMulti from '../../runbooks/restore-multi-master.js';
import freeSpace from '../../runbooks/free-space.js';
import { inventoryDoc, toolFacts } from '../helpers/plans.js';

const inventory = resolveInventory(InventorySchema.parse(inventoryDoc('static-pod', 3)), '/tmp');
const names = inventory.members.map((m) => m.name);
const DAY = 86_400_000;

/** Every member reachable with etcd up; `member` overrides a member's facts. */
function facts(member: (name: string, i: number) => Partial<MemberFacts>, extra: Partial<Facts> = {}): Facts {
  return {
    probed: true,
    members: Object.fromEntries(
      names.map((name, i) => [
        name,
        { reachable: true, etcdUp: true, dataDirExists: true, ...toolFacts('host'), ...member(name, i) },
      ]),
    ),
    ...extra,
  };
}

const tlsFails = () => ({ healthy: false });
const cert = (member: string, days: number, notBefore?: Date): CertInfo => ({
  member,
  file: '/etc/kubernetes/pki/etcd/server.crt',
  role: 'server',
  notAfter: new Date(Date.now() + days * DAY).toISOString(),
  daysLeft: days,
  sans: [],
  ...(notBefore ? { notBefore: notBefore.toISOString() } : {}),
});

function planned(runbook: RunbookDef, f: Facts, params: Record<string, string> = {}) {
  const ctx: PlanCtx = {
    inventory,
    facts: f,
    params,
    runId: '20260101T000000Z-x-abcdef',
    stamp: '20260101T000000Z',
    files: { '/snap.db': { sha256: 'ab'.repeat(32), bytes: 10, keys: 10, revision: 20 } },
    inventoryPath: '/srv/my inventory.yaml',
  };
  return plan(runbook, ctx);
}

describe('entry gates', () => {
  it('recover-quorum refuses expired certificates and names renew-certs with its command line', () => {
    const p = planned(recoverQuorum, facts(tlsFails, { certificates: names.map((n) => cert(n, -3)) }));
    expect(p.outcome).toBe('refused');
    expect(p.refusal).toMatch(/expired on cp-1, cp-2, cp-3/);
    expect(p.refusal).toContain("lifeboat run renew-certs -i '/srv/my inventory.yaml'");
  });

  it('refuses certificates that are not valid yet (a clock set wrong, or issued for later)', () => {
    const early = [cert('cp-2', 300, new Date(Date.now() + 2 * DAY))];
    const p = planned(recoverQuorum, facts(tlsFails, { certificates: early }));
    expect(p.outcome).toBe('refused');
    expect(p.refusal).toMatch(/not valid yet on cp-2/);
  });

  it('recover-quorum goes ahead on a lost quorum with valid certificates', () => {
    const down = (_: string, i: number) => (i === 0 ? { healthy: false } : { etcdUp: false, healthy: false });
    const p = planned(recoverQuorum, facts(down, { certificates: names.map((n) => cert(n, 200)) }));
    expect(p.outcome).toBe('done');
  });

  it('recover-quorum refuses the NOSPACE alarm and names free-space', () => {
    const full = (_: string, i: number) => ({
      healthy: false,
      alarmOnly: true,
      alarms: [`memberID:${i + 1} alarm:NOSPACE`],
    });
    const list = names.map((name, i) => ({
      id: (i + 1).toString(16),
      name,
      peerURLs: [`https://${inventory.members[i]!.address}:2380`],
      clientURLs: [],
      isLearner: false,
    }));
    const p = planned(recoverQuorum, facts(full, { memberList: list }), { force: 'true' });
    expect(p.outcome).toBe('refused');
    expect(p.refusal).toMatch(/NOSPACE.*lifeboat run free-space/);
  });

  it('refuses a host the cluster knows at another address and names readdress', () => {
    const list = names.map((name, i) => ({
      id: (i + 1).toString(16),
      name,
      peerURLs: [`https://${i === 1 ? '10.9.9.9' : inventory.members[i]!.address}:2380`],
      clientURLs: [],
      isLearner: false,
    }));
    for (const [runbook, params] of [
      [replaceMember, { failed: 'cp-3' }],
      [freeSpace, { force: 'true' }],
    ] as const) {
      const p = planned(
        runbook,
        facts(() => ({ healthy: true }), { memberList: list }),
        params,
      );
      expect(p.outcome, runbook.id).toBe('refused');
      expect(p.refusal, runbook.id).toMatch(/cp-2 moved.*lifeboat run readdress/);
    }
  });

  it('a restore refuses expired certificates: the restored cluster could not talk TLS either', () => {
    const p = planned(restoreMulti, facts(tlsFails, { certificates: [cert('cp-1', -1)] }), {
      snapshot: '/snap.db',
    });
    expect(p.outcome).toBe('refused');
    expect(p.refusal).toMatch(/renew-certs/);
  });
});
