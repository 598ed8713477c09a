// The runbooks' plans without a lab: order of the phases, safety properties of every step, survivor choice, refusals.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Facts, MemberFacts } from '../../src/etcd/facts.js';
import { plan, stepsOf, type PlannedStep } from '../../src/engine/plan.js';
import type { PlanCtx, RunbookDef } from '../../src/engine/types.js';
import { loadInventory } from '../../src/inventory/load.js';
import { commandGroups, confirmationLines } from '../../src/render/confirm.js';
import backup from '../../runbooks/backup.js';
import recoverQuorum from '../../runbooks/recover-quorum.js';
import replaceMember from '../../runbooks/replace-member.js';
import restoreMulti from '../../runbooks/restore-multi-master.js';
import restoreSingle from '../../runbooks/restore-single-master.js';

function inventory(topology: 'static-pod' | 'systemd', n: number) {
  const d = mkdtempSync(join(tmpdir(), 'lifeboat-steps-'));
  const members = Array.from(
    { length: n },
    (_, i) => `  - { name: cp-${i + 1}, address: 10.0.0.${i + 11} }`,
  ).join('\n');
  writeFileSync(
    join(d, 'inv.yaml'),
    `apiVersion: lifeboat/v1\ncluster: unit\ntopology: ${topology}\nmembers:\n${members}\n`,
  );
  return loadInventory(join(d, 'inv.yaml'));
}

const member = (over: Partial<MemberFacts>): MemberFacts => ({
  reachable: true,
  etcdUp: true,
  healthy: true,
  dataDirExists: true,
  etcdVersion: '3.4.23',
  etcdctl: '/usr/bin/etcdctl',
  etcdctlVersion: '3.4.23',
  etcdUser: 'etcd',
  ...over,
});
const status = (raftIndex: number) => ({
  memberId: '1',
  leader: '0',
  raftIndex,
  raftTerm: 2,
  revision: 10,
  dbSize: 1,
  version: '3.4.23',
  isLearner: false,
});

function ctx(
  topology: 'static-pod' | 'systemd',
  n: number,
  params: Record<string, string>,
  facts?: (name: string, i: number) => Partial<MemberFacts>,
): PlanCtx {
  const inv = inventory(topology, n);
  const f: Facts = {
    probed: true,
    members: Object.fromEntries(inv.members.map((m, i) => [m.name, member(facts?.(m.name, i) ?? {})])),
  };
  return {
    inventory: inv,
    facts: f,
    params,
    runId: 'run-1',
    stamp: '20260101T000000Z',
    files: { '/snap.db': { sha256: 'ab'.repeat(32), bytes: 10, keys: 1051, revision: 1052 } },
  };
}

const ids = (rb: RunbookDef, c: PlanCtx) => stepsOf(plan(rb, c)).map((s) => s.stateId);
const script = (s: PlannedStep, member: string) =>
  s.hosts
    .find((h) => h.member === member)!
    .actions.map((a) => (a.kind === 'sh' ? a.script : `${a.kind} ${a.from} ${a.to}`))
    .join('\n');

describe('every runbook, every branch', () => {
  const cases: Array<[RunbookDef, PlanCtx]> = [
    [backup, ctx('static-pod', 3, {})],
    [restoreSingle, ctx('systemd', 1, { snapshot: '/snap.db' })],
    [restoreMulti, ctx('static-pod', 5, { snapshot: '/snap.db' })],
    [
      recoverQuorum,
      ctx('systemd', 3, { strategy: 'snapshot' }, (n) =>
        n === 'cp-1'
          ? { healthy: false, status: status(50) }
          : { healthy: false, etcdUp: false, dataDirExists: false },
      ),
    ],
    [
      recoverQuorum,
      ctx('static-pod', 5, { strategy: 'force-new-cluster' }, (n, i) =>
        i < 2 ? { healthy: false, status: status(40 + i) } : { healthy: false, etcdUp: false },
      ),
    ],
    [
      replaceMember,
      ctx('static-pod', 3, { failed: 'cp-2' }, (n) =>
        n === 'cp-2' ? { healthy: false, etcdUp: false } : {},
      ),
    ],
  ];
  it.each(cases.map(([rb, c], i) => [`${rb.id} #${i}`, rb, c] as const))(
    '%s: every confirmation fits in 15 lines at 120 columns and says where, what, until when, undo',
    (_n, rb, c) => {
      const p = plan(rb, c);
      for (const s of stepsOf(p).filter((x) => x.destructive)) {
        const lines = confirmationLines({ plan: p, step: s }, 120);
        expect(lines.length).toBeLessThanOrEqual(15);
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
        const text = lines.join('\n');
        expect(text).toMatch(/step \d+ of \d+/);
        for (const h of s.hosts) expect(text).toContain(h.member);
        expect(text).toMatch(/^Undo: /m);
        expect(text).toMatch(/\[d\] show the commands/);
        if (s.id === 'stop-apiservers')
          expect(text).toMatch(/stays down until step \d+ "Start kube-apiserver/);
        const d = commandGroups(s).join('\n');
        for (const h of s.hosts) expect(d).toContain(h.member);
      }
    },
  );
  it.each(cases.map(([rb, c], i) => [`${rb.id} #${i}`, rb, c] as const))(
    '%s: destructive steps have a check or are idempotent; nothing deletes',
    (_name, rb, c) => {
      const p = plan(rb, c);
      expect(p.outcome).toBe('done');
      for (const s of stepsOf(p)) {
        for (const h of s.hosts) {
          const all = h.actions.map((a) => (a.kind === 'sh' ? a.script : '')).join('\n');
          // Never delete on a host: no rm of anything (rm -f of our own lock files excepted, none used).
          expect(all, `${s.stateId} on ${h.member}`).not.toMatch(/\brm\s+-[a-z]*r|\brm\s+(?!-)/);
          if (s.destructive)
            expect(
              h.check !== undefined || /already|is a member|if \[/.test(all),
              `${s.stateId}: destructive without a check`,
            ).toBe(true);
        }
      }
    },
  );
});

describe('restore-multi-master', () => {
  it('stops every apiserver and etcd before any restore; one snapshot, same sha256 checked on every host; new token for all', () => {
    const c = ctx('static-pod', 3, { snapshot: '/snap.db' });
    const order = ids(restoreMulti, c);
    expect(order).toEqual([
      'record/state',
      'distribute/distribute',
      'stop/stop-apiservers',
      'stop/stop-etcd',
      'restore/move-aside',
      'restore/restore',
      'restore/ownership',
      'start/start-etcd',
      'start/start-apiservers',
      'start/restart-controllers',
      'verify/verify-cluster',
      'verify/key-count',
      'verify/stale-leases',
      'verify/stale-endpoints',
    ]);
    const steps = stepsOf(plan(restoreMulti, c));
    const dist = steps.find((s) => s.id === 'distribute')!;
    expect(dist.hosts.map((h) => h.check)).toEqual(
      c.inventory.members.map(() =>
        expect.stringContaining(`${'ab'.repeat(32)}  /backup/lifeboat-restore-20260101T000000Z.db`),
      ),
    );
    const restore = steps.find((s) => s.id === 'restore')!;
    for (const m of c.inventory.members) {
      const sc = script(restore, m.name);
      expect(sc).toContain(`--name=${m.name}`);
      expect(sc).toContain(`--initial-advertise-peer-urls=${m.peerURL}`);
      expect(sc).toContain(
        '--initial-cluster=cp-1=https://10.0.0.11:2380,cp-2=https://10.0.0.12:2380,cp-3=https://10.0.0.13:2380',
      );
      expect(sc).toContain('--initial-cluster-token=lifeboat-20260101t000000z');
      expect(sc).toContain('flock'); // a command that outlived a crash is waited for
    }
    expect(plan(restoreMulti, c).warnings.join('\n')).toMatch(
      /revision not bumped: etcdutl 3\.5\+ not found/,
    );
    expect(
      script(
        steps.find((s) => s.id === 'key-count')!,
        'cp-1',
      ),
    ).toContain('[ "$n" = 1051 ]');
  });

  it('etcd 3.5+ with etcdutl: --bump-revision and --mark-compacted, no warning', () => {
    const c = ctx('systemd', 3, { snapshot: '/snap.db' }, () => ({
      etcdutl: '/usr/bin/etcdutl',
      etcdutlVersion: '3.5.9',
      etcdVersion: '3.5.9',
      etcdctlVersion: '3.5.9',
    }));
    const p = plan(restoreMulti, c);
    expect(
      script(
        stepsOf(p).find((s) => s.id === 'restore')!,
        'cp-2',
      ),
    ).toMatch(/etcdutl snapshot restore .* --bump-revision=1000000000 --mark-compacted/);
    expect(p.warnings).toEqual([]);
  });

  it('the plan says how the bump was derived, honours --set bumpRevision, and on 3.4 says what to restart', () => {
    const v35 = (rev: number) => () => ({
      etcdutl: '/usr/bin/etcdutl',
      etcdutlVersion: '3.5.9',
      etcdctlVersion: '3.5.9',
      status: { ...status(50), revision: rev, version: '3.5.9' },
    });
    const why = (c: PlanCtx) => {
      const d = plan(restoreMulti, c).items.find((i) => i.kind === 'decision' && i.id === 'shape');
      return d && d.kind === 'decision' ? d.why : '';
    };
    const restoreOf = (c: PlanCtx) =>
      script(
        stepsOf(plan(restoreMulti, c)).find((s) => s.id === 'restore')!,
        'cp-1',
      );
    const few = ctx('systemd', 3, { snapshot: '/snap.db' }, v35(2052));
    expect(why(few)).toMatch(
      /revision bumped and marked compacted.*bump 1000000000 = the etcd and Kubernetes restore guides' 1000000000 \(highest revision seen 2052, snapshot at 1052: 1000 written after it\)/,
    );
    // A cluster that wrote more than half the default since the snapshot: what it wrote, plus half the default.
    const many = ctx('systemd', 3, { snapshot: '/snap.db' }, v35(600_001_052));
    expect(why(many)).toMatch(
      /bump 1100000000 = the 600000000 revisions written after the snapshot \+ 500000000/,
    );
    expect(restoreOf(many)).toContain('--bump-revision=1100000000 --mark-compacted');
    // The same snapshot restored 40 times over (each bump counts as written): the revision stays far below 2^53.
    let seen = 1052;
    for (let i = 0; i < 40; i++) {
      const again = ctx('systemd', 3, { snapshot: '/snap.db' }, v35(seen));
      const bump = Number(/--bump-revision=(\d+)/.exec(restoreOf(again))?.[1]);
      expect(1052 + bump).toBeGreaterThan(seen);
      seen = 1052 + bump;
    }
    expect(seen).toBeLessThan(1e11);
    const given = ctx('systemd', 3, { snapshot: '/snap.db', bumpRevision: '5000' }, v35(2052));
    expect(why(given)).toMatch(/bump 5000 \(--set bumpRevision\)/);
    expect(restoreOf(given)).toContain('--bump-revision=5000 --mark-compacted');
    const old = ctx('systemd', 3, { snapshot: '/snap.db' });
    expect(why(old)).toMatch(
      /revision NOT bumped on cp-1, cp-2, cp-3 .*revisions go backwards.*restart every kube-apiserver, kube-controller-manager, kube-scheduler and kubelet/,
    );
    expect(restoreOf(old)).not.toContain('--bump-revision');
  });

  it('single-master refuses more than one member; a raw db copy is refused without skipHashCheck', () => {
    expect(plan(restoreSingle, ctx('static-pod', 3, { snapshot: '/snap.db' })).refusal).toMatch(
      /the inventory has 3 members; use restore-multi-master/,
    );
    const raw = ctx('static-pod', 3, { snapshot: '/snap.db' });
    raw.files['/snap.db']!.raw = true;
    expect(plan(restoreMulti, raw).refusal).toMatch(/no appended hash/);
    expect(
      plan(restoreMulti, { ...raw, params: { snapshot: '/snap.db', skipHashCheck: 'true' } }).outcome,
    ).toBe('done');
  });
});

describe('recover-quorum', () => {
  const lost = (n: string, i: number): Partial<MemberFacts> =>
    i < 2
      ? { healthy: false, status: status(i === 1 ? 90 : 70) }
      : { healthy: false, etcdUp: false, dataDirExists: false };

  it('refuses a healthy cluster unless forced', () => {
    expect(plan(recoverQuorum, ctx('static-pod', 3, {})).refusal).toMatch(
      /quorum is healthy \(3\/3 healthy, 2 needed\)/,
    );
    expect(plan(recoverQuorum, ctx('static-pod', 3, { force: 'true' })).outcome).toBe('done');
  });

  it('survivor = highest raft index, shown why; the others rejoin one at a time, each after the ones before', () => {
    const c = ctx('static-pod', 5, {}, lost);
    const p = plan(recoverQuorum, c);
    const d = p.items.find((i) => i.kind === 'decision' && i.id === 'quorum');
    expect(d && d.kind === 'decision' ? d.why : '').toMatch(
      /survivor cp-2: highest raft index among members that answer \(cp-2=90, cp-1=70\)/,
    );
    const rejoin = stepsOf(p).find((s) => s.id === 'rejoin')!;
    expect(rejoin.parallel).toBe(false);
    expect(rejoin.hosts.map((h) => h.member)).toEqual(['cp-1', 'cp-3', 'cp-4', 'cp-5']);
    // cp-4 joins a cluster of cp-2 (survivor), cp-1, cp-3: its initial cluster names exactly those and itself.
    expect(script(rejoin, 'cp-4')).toContain(
      '--initial-cluster=cp-2=https://10.0.0.12:2380,cp-1=https://10.0.0.11:2380,cp-3=https://10.0.0.13:2380,cp-4=https://10.0.0.14:2380',
    );
    expect(script(rejoin, 'cp-4')).toContain('member add cp-4 --peer-urls=https://10.0.0.14:2380 --learner');
    expect(script(rejoin, 'cp-4')).toContain('member promote');
  });

  it('force-new-cluster: systemd drop-in added, then moved aside (not deleted); a final check that none is left', () => {
    const c = ctx('systemd', 3, { strategy: 'force-new-cluster' }, lost);
    const steps = stepsOf(plan(recoverQuorum, c));
    expect(
      script(
        steps.find((s) => s.id === 'add-flag')!,
        'cp-2',
      ),
    ).toContain('Environment=ETCD_FORCE_NEW_CLUSTER=true');
    const remove = script(
      steps.find((s) => s.id === 'remove-flag')!,
      'cp-2',
    );
    expect(remove).toMatch(
      /mv \/etc\/systemd\/system\/etcd.service.d\/90-lifeboat-force-new-cluster.conf \/etc\/etcd\/lifeboat-backup\/90-lifeboat-force-new-cluster.conf.removed-20260101T000000Z/,
    );
    expect(steps.map((s) => s.id)).toContain('no-force-flag');
    expect(steps.map((s) => s.id).slice(-4)).toEqual([
      'repoint-all',
      'initial-cluster',
      'no-force-flag',
      'verify-cluster',
    ]);
  });

  it('static-pod: an edit of the live etcd manifest waits for the kubelet to restart etcd', () => {
    const c = ctx('static-pod', 3, {}, lost);
    const s = stepsOf(plan(recoverQuorum, c)).find((x) => x.id === 'initial-cluster')!;
    expect(s.parallel).toBe(false);
    expect(script(s, 'cp-1')).toMatch(/while kill -0 "\$old"/);
  });
});

describe('replace-member', () => {
  it('refuses without quorum among the others; otherwise remove by ID, add, update the rest, verify', () => {
    const noQuorum = ctx('static-pod', 3, { failed: 'cp-2' }, (n) =>
      n === 'cp-1' ? {} : { healthy: false },
    );
    expect(plan(replaceMember, noQuorum).refusal).toMatch(
      /no quorum: 1 healthy member\(s\) besides cp-2, 2 needed; use recover-quorum/,
    );
    const c = ctx('static-pod', 3, { failed: 'cp-2' }, (n) =>
      n === 'cp-2' ? { healthy: false, etcdUp: false } : {},
    );
    expect(ids(replaceMember, c)).toEqual([
      'membership/remove',
      'join/add-replacement',
      'config/initial-cluster',
      'verify/verify-cluster',
    ]);
    const steps = stepsOf(plan(replaceMember, c));
    expect(script(steps[0]!, 'cp-1')).toMatch(/member remove "\$id"/);
    expect(steps[2]!.hosts.map((h) => h.member)).toEqual(['cp-1', 'cp-3']);
    expect(plan(replaceMember, ctx('static-pod', 3, { failed: 'cp-9' })).refusal).toMatch(
      /not in the inventory/,
    );
  });
});
