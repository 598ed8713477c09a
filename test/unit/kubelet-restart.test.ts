// Issue 11 item 4: the inventory says how to restart a host's kubelet (a unit or argv words, parsed strictly); the
// restore runbooks and recover-quorum say in the plan to restart the kubelets, with that command, and run it confirmed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Facts, MemberFacts } from '../../src/etcd/facts.js';
import { plan, stepsOf } from '../../src/engine/plan.js';
import type { PlanCtx, RunbookDef } from '../../src/engine/types.js';
import { loadInventory, parseInventory } from '../../src/inventory/load.js';
import recoverQuorum from '../../runbooks/recover-quorum.js';
import restoreMulti from '../../runbooks/restore-multi-master.js';
import restoreSingle from '../../runbooks/restore-single-master.js';

const text = (n: number, extra = '', member = (_i: number) => '') =>
  `apiVersion: lifeboat/v1\ncluster: unit\ntopology: static-pod\n${extra}members:\n${Array.from(
    { length: n },
    (_, i) => `  - { name: cp-${i + 1}, address: 10.0.0.${i + 11}${member(i)} }`,
  ).join('\n')}\n`;

const problems = (t: string) => {
  const r = parseInventory(t, '/tmp/i.yaml');
  return r.ok ? [] : r.problems;
};

describe('inventory kubelet.restartUnit / kubelet.restartCommand', () => {
  it('accepts a unit name or argv words; a member setting replaces the cluster one', () => {
    const r = parseInventory(
      text(3, 'kubelet: {restartUnit: kubelet.service}\n', (i) =>
        i === 1 ? ', kubelet: {restartCommand: [rc-service, kubelet, restart]}' : '',
      ),
      '/tmp/i.yaml',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.inventory.members.map((m) => m.kubeletRestart)).toEqual([
      ['systemctl', 'restart', 'kubelet.service'],
      ['rc-service', 'kubelet', 'restart'],
      ['systemctl', 'restart', 'kubelet.service'],
    ]);
    const none = parseInventory(text(1), '/tmp/i.yaml');
    expect(none.ok && none.inventory.members[0]!.kubeletRestart).toBeUndefined();
  });

  it('refuses a unit with shell syntax or spaces, both forms at once, an empty command, control characters', () => {
    for (const unit of ['"kubelet; reboot"', '"kube let"', '"$(id)"', '-kubelet'])
      expect(problems(text(1, `kubelet: {restartUnit: ${unit}}\n`)).join('\n')).toMatch(
        /kubelet\.restartUnit: a systemd unit name/,
      );
    expect(
      problems(text(1, 'kubelet: {restartUnit: kubelet, restartCommand: [systemctl, restart, kubelet]}\n')),
    ).toEqual(['kubelet: restartUnit or restartCommand, not both']);
    expect(problems(text(1, 'kubelet: {restartCommand: []}\n')).join('\n')).toMatch(
      /kubelet\.restartCommand/,
    );
    expect(problems(text(1, 'kubelet: {restartCommand: ["a\\nb"]}\n')).join('\n')).toMatch(
      /control characters/,
    );
    expect(problems(text(1, 'kubelet: {restart: kubelet}\n')).join('\n')).toMatch(/^kubelet/);
  });
});

function ctx(
  n: number,
  extra: string,
  params: Record<string, string>,
  facts: Partial<MemberFacts> = {},
): PlanCtx {
  const d = mkdtempSync(join(tmpdir(), 'lifeboat-kubelet-'));
  writeFileSync(join(d, 'inv.yaml'), text(n, extra));
  const inventory = loadInventory(join(d, 'inv.yaml'));
  const member: MemberFacts = {
    reachable: true,
    etcdUp: true,
    healthy: true,
    dataDirExists: true,
    etcdVersion: '3.5.16',
    etcdctl: '/usr/bin/etcdctl',
    etcdctlVersion: '3.5.16',
    etcdUser: 'root',
    ...facts,
  };
  const f: Facts = {
    probed: true,
    members: Object.fromEntries(inventory.members.map((m) => [m.name, member])),
  };
  return {
    inventory,
    facts: f,
    params,
    runId: 'run-1',
    stamp: '20260101T000000Z',
    files: { '/snap.db': { sha256: 'ab'.repeat(32), bytes: 10, keys: 1051, revision: 1052 } },
  };
}

const cases: Array<[string, RunbookDef, number, Record<string, string>]> = [
  ['restore-single-master', restoreSingle, 1, { snapshot: '/snap.db' }],
  ['restore-multi-master', restoreMulti, 3, { snapshot: '/snap.db' }],
  ['recover-quorum', recoverQuorum, 3, { force: 'true' }],
];

describe('the plan says to restart the kubelets', () => {
  for (const [id, rb, n, params] of cases) {
    it(`${id}: by hand without an inventory command; with one, a confirmed step running it on each member`, () => {
      const advise = plan(rb, ctx(n, '', params));
      const d = advise.items.find((i) => i.kind === 'decision' && i.id === 'kubelet');
      expect(d && d.kind === 'decision' && d.branch).toBe('advise');
      expect(d && d.kind === 'decision' ? d.why : '').toMatch(
        /restart the kubelet by hand on cp-1.*systemctl restart kubelet.*kubelet\.restartUnit or kubelet\.restartCommand/,
      );
      expect(stepsOf(advise).some((s) => s.id === 'restart-kubelets')).toBe(false);

      const withCmd = plan(
        rb,
        ctx(n, "kubelet: {restartCommand: [sh, -c, 'systemctl restart kubelet; echo $HOME']}\n", params),
      );
      const d2 = withCmd.items.find((i) => i.kind === 'decision' && i.id === 'kubelet');
      expect(d2 && d2.kind === 'decision' ? d2.why : '').toContain(
        "restart each kubelet with the inventory's command (sh -c 'systemctl restart kubelet; echo $HOME' on cp-1",
      );
      const step = stepsOf(withCmd).find((s) => s.id === 'restart-kubelets')!;
      expect(step.destructive).toBe(true);
      expect(step.parallel).toBe(false);
      expect(step.hosts.map((h) => h.member)).toEqual(Array.from({ length: n }, (_, i) => `cp-${i + 1}`));
      // One quoted word per argv entry: the inventory's words never become shell syntax of their own.
      expect(step.hosts[0]!.actions).toEqual([
        { kind: 'sh', script: "sh -c 'systemctl restart kubelet; echo $HOME'" },
      ]);
      // After the controllers restarted, before the final verification.
      const order = stepsOf(withCmd).map((s) => s.id);
      expect(order.indexOf('restart-kubelets')).toBeGreaterThan(order.indexOf('restart-controllers'));
      expect(order.indexOf('restart-kubelets')).toBeLessThan(order.indexOf('verify-cluster'));
    });
  }

  it('recover-quorum: initial-cluster restarts the survivor (the leader) last', () => {
    const c = ctx(3, '', {}, {});
    c.facts.members['cp-2'] = {
      ...c.facts.members['cp-2']!,
      healthy: false,
      etcdUp: false,
      dataDirExists: false,
    };
    c.facts.members['cp-3'] = {
      ...c.facts.members['cp-3']!,
      healthy: false,
      etcdUp: false,
      dataDirExists: false,
    };
    c.facts.members['cp-1'] = { ...c.facts.members['cp-1']!, healthy: false };
    const step = stepsOf(plan(recoverQuorum, c)).find((s) => s.stateId === 'finish/initial-cluster')!;
    expect(step.hosts.map((h) => h.member)).toEqual(['cp-2', 'cp-3', 'cp-1']);
  });
});
