// Data of a newer etcd line than the binaries that would restore or serve it: refused before anything runs, in one
// line naming `etcdutl migrate` (the way back), at the entry gates and in `backup verify --restore`; and migrate-flags'
// feature gates joining the ones the configuration already sets.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import migrateFlags from '../../runbooks/migrate-flags.js';
import recoverQuorum from '../../runbooks/recover-quorum.js';
import restoreMulti from '../../runbooks/restore-multi-master.js';
import type { BackupManifest } from '../../src/backup/backups.js';
import { restoreTest } from '../../src/cli/backup/restore.js';
import { plan } from '../../src/engine/plan.js';
import type { LocalFile, PlanCtx, RunbookDef } from '../../src/engine/types.js';
import { LifeboatError } from '../../src/errors/error.js';
import { migrateExperimental } from '../../src/etcd/experimental.js';
import { parseProbe, type Facts, type MemberFacts } from '../../src/etcd/facts.js';
import { hostFactsProblems } from '../../src/etcd/facts-schema.js';
import { newerLine } from '../../src/etcd/versions.js';
import { resolveInventory } from '../../src/inventory/resolve.js';
import { InventorySchema } from '../../src/inventory/schema.js';
import { etcdBuild } from '../../src/local/etcd-builds.js';
import { startLocalEtcd } from '../../src/snapshot/etcd-local.js';
import { storageVersionOf } from '../../src/snapshot/restore-check.js';
import { inventoryDoc, scriptsOf, toolFacts } from '../helpers/plans.js';

const inventory = resolveInventory(InventorySchema.parse(inventoryDoc('static-pod', 3)), '/tmp');
const names = inventory.members.map((m) => m.name);

function facts(member: (name: string) => Partial<MemberFacts>): Facts {
  return {
    probed: true,
    members: Object.fromEntries(
      names.map((n) => [
        n,
        {
          reachable: true,
          etcdUp: true,
          healthy: true,
          dataDirExists: true,
          ...toolFacts('host'),
          ...member(n),
        },
      ]),
    ),
  };
}

const on = (release: string) => () => ({
  etcdVersion: release,
  etcdctlVersion: release,
  etcdutlVersion: release,
});

function planned(runbook: RunbookDef, f: Facts, snap: Partial<LocalFile> = {}, params = {}) {
  const ctx: PlanCtx = {
    inventory,
    facts: f,
    params: { snapshot: '/snap.db', ...params },
    runId: '20260101T000000Z-x-abcdef',
    stamp: '20260101T000000Z',
    files: { '/snap.db': { sha256: 'ab'.repeat(32), bytes: 10, keys: 10, revision: 20, ...snap } },
    inventoryPath: '/srv/inventory.yaml',
  };
  return plan(runbook, ctx);
}

describe('newer data than the binaries', () => {
  it('compares lines, not patches; a cluster version ("3.6") is a line', () => {
    expect(newerLine('3.7.0', '3.6.17')).toBe(true);
    expect(newerLine('3.6.0', '3.6.17')).toBe(false);
    expect(newerLine('3.6', '3.5.36')).toBe(true);
    expect(newerLine('3.5.0', '3.6.17')).toBe(false);
    expect(newerLine(undefined, '3.6.17')).toBe(false);
    expect(newerLine('3.7.0', undefined)).toBe(false);
  });

  it('restore refuses a 3.7 snapshot onto 3.6 members in one line naming etcdutl migrate', () => {
    const p = planned(restoreMulti, facts(on('3.6.17')), { storageVersion: '3.7.0' });
    expect(p.outcome).toBe('refused');
    expect(p.refusal).not.toContain('\n');
    expect(p.refusal).toMatch(
      /^snapshot \/snap\.db \(storage version 3\.7\.0\) was written by etcd 3\.7 and cp-1's /,
    );
    expect(p.refusal).toContain('is etcd 3.6.17, which refuses newer data');
    expect(p.refusal).toContain('`etcdutl migrate --data-dir DIR --target-version 3.6`');
  });

  it('names the oldest binary: one member left on 3.5 during an upgrade', () => {
    const p = planned(
      restoreMulti,
      facts((n) => (n === 'cp-3' ? on('3.5.36')() : on('3.6.17')())),
      { storageVersion: '3.6.0' },
    );
    expect(p.outcome).toBe('refused');
    expect(p.refusal).toMatch(/and cp-3's etcdutl is etcd 3\.5\.36,/);
  });

  it('restore goes ahead: a 3.5 snapshot (no storage version) on 3.6, a 3.6 snapshot on 3.7 and on 3.6', () => {
    expect(planned(restoreMulti, facts(on('3.6.17'))).outcome).toBe('done');
    expect(planned(restoreMulti, facts(on('3.7.4')), { storageVersion: '3.6.0' }).outcome).toBe('done');
    expect(planned(restoreMulti, facts(on('3.6.17')), { storageVersion: '3.6.0' }).outcome).toBe('done');
  });

  it('an image tag counts when the host has no etcd binary (static pods)', () => {
    const f = facts(() => ({
      etcdVersion: undefined,
      etcdutlVersion: undefined,
      etcdctlVersion: undefined,
      containers: { image: 'registry.k8s.io/etcd:3.6.17-0' },
    }));
    const p = planned(restoreMulti, f, { storageVersion: '3.7.0' });
    expect(p.refusal).toMatch(/cp-1's etcd is etcd 3\.6\.17/);
  });

  it('recover-quorum refuses to start members whose etcd is older than the cluster version', () => {
    const f = facts((n) => ({ ...(n === 'cp-2' ? on('3.5.36')() : on('3.6.17')()), clusterVersion: '3.6' }));
    const p = planned(recoverQuorum, f);
    expect(p.outcome).toBe('refused');
    expect(p.refusal).toMatch(
      /^the members' data \(cluster version 3\.6\) was written by etcd 3\.6 and cp-2's /,
    );
    expect(p.refusal).toContain('`etcdutl migrate --data-dir DIR --target-version 3.5`');
  });
});

describe('migrate-flags and --feature-gates', () => {
  it('merges the gates of migrated flags into the value already set, keeping its entries', () => {
    const m = migrateExperimental(
      ['experimental-compact-hash-check-enabled=true', 'experimental-watch-progress-notify-interval=5s'],
      'InitialCorruptCheck=true',
    );
    expect(m.edits).toEqual({
      'experimental-compact-hash-check-enabled': null,
      'experimental-watch-progress-notify-interval': null,
      'watch-progress-notify-interval': '5s',
      'feature-gates': 'InitialCorruptCheck=true,CompactHashCheck=true',
    });
    // No gate among the flags: --feature-gates is left as it is.
    expect(migrateExperimental(['experimental-max-learners=2'], 'InitialCorruptCheck=true').edits).toEqual({
      'experimental-max-learners': null,
      'max-learners': '2',
    });
  });

  it('the probe reads --feature-gates (or ETCD_FEATURE_GATES), and the planned edit keeps it', () => {
    const out = [
      'experimental_flag=--experimental-compact-hash-check-enabled=true',
      'feature_gates=InitialCorruptCheck=true',
    ].join('\n');
    const parsed = parseProbe(out).facts;
    expect(parsed.featureGates).toBe('InitialCorruptCheck=true');
    expect(hostFactsProblems(parsed, undefined)).toBeUndefined();
    expect(hostFactsProblems({ ...parsed, featureGates: 'A=true;reboot' }, undefined)).toMatch(
      /featureGates/,
    );
    const f = facts(() => ({
      experimentalFlags: parsed.experimentalFlags!,
      featureGates: parsed.featureGates!,
    }));
    const p = planned(migrateFlags, f, {}, {});
    expect(p.outcome).toBe('done');
    const edits = scriptsOf(p).filter((s) => /feature-gates/.test(s.script));
    expect(edits.length).toBeGreaterThan(0);
    for (const e of edits)
      expect(e.script, e.where).toContain('InitialCorruptCheck=true,CompactHashCheck=true');
  });
});

describe('backup verify --restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-newer-'));
  const saved = process.env.LIFEBOAT_ETCD_CACHE;
  const built = { '3.6': etcdBuild('3.6.17'), '3.7': etcdBuild('3.7.4') };

  beforeAll(async () => {
    if (!built['3.6'] || !built['3.7'])
      throw new Error('etcd 3.6.17 and 3.7.4 are built by bash scripts/setup.sh');
    // A 3.7 snapshot once etcd has written its storage version (the leader does it shortly after it starts).
    const etcd = await startLocalEtcd({ ...built['3.7'], timeoutMs: 60_000 });
    try {
      await etcd.put('/registry/configmaps/default/a', 'x');
      const deadline = Date.now() + 60_000;
      for (;;) {
        await etcd.etcdctl('snapshot', 'save', join(dir, 'snap.db'));
        if (storageVersionOf(join(dir, 'snap.db')) === '3.7.0') break;
        if (Date.now() > deadline) throw new Error('etcd 3.7 wrote no storage version within 60 s');
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await etcd.stop();
    }
    // This machine as one with only etcd 3.6 built.
    mkdirSync(join(dir, 'cache', '3.6.17'), { recursive: true });
    for (const t of ['etcd', 'etcdctl', 'etcdutl'] as const)
      symlinkSync(built['3.6']![t], join(dir, 'cache', '3.6.17', t));
    process.env.LIFEBOAT_ETCD_CACHE = join(dir, 'cache');
  }, 120_000);
  afterAll(() => {
    if (saved === undefined) delete process.env.LIFEBOAT_ETCD_CACHE;
    else process.env.LIFEBOAT_ETCD_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a 3.7 snapshot with 3.6 tools (exit 2, one line naming etcdutl migrate), even when the manifest says 3.6', async () => {
    const m = {
      id: 'b1',
      members: [{ member: 'cp-1', file: 'snap.db', etcdVersion: '3.6.17' }],
    } as unknown as BackupManifest;
    const err = await restoreTest('b1', m, dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LifeboatError);
    const e = err as LifeboatError;
    expect(e.code).toBe('input');
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(
      `snapshot ${join(dir, 'snap.db')} (storage version 3.7.0) was written by etcd 3.7`,
    );
    expect(e.message).toContain('etcd 3.6.17, which refuses newer data');
    expect(e.message).toContain('`etcdutl migrate --data-dir DIR --target-version 3.6`');
  });
});
