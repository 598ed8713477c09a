// Disaster recovery across etcd lines on one lab: a 3.5 cluster (3.5-era manifests with --experimental-* flags)
// backed up, rolled to 3.6 member by member, broken and restored from the 3.5 snapshot; its flags migrated on 3.6
// (joining a --feature-gates value already set); rolled to 3.7, broken and restored from a 3.6 snapshot; a flag that
// stops etcd 3.7 named by diagnose and migrated; and a 3.7 snapshot refused by a 3.6 cluster before anything changes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdImageFor } from '../../src/etcd/versions.js';
import { pinnedRelease, etcdSources } from '../../src/lab/etcdbin.js';
import { labDown, labExec, labUp, waitFor, type EtcdVersion, type Lab } from '../../src/lab/index.js';
import { storageVersionOf } from '../../src/snapshot/restore-check.js';
import {
  cli,
  clusterRevision,
  clusterValues,
  damage,
  etcdctl,
  expectCode,
  expectHealthyCluster,
  expectRevisionOutcome,
  expectSameData,
  hostRead,
  snapshotValues,
  stepsRun,
  takeSnapshot,
} from './runbook-helpers.js';

const MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
/** A gate set by hand before the flags are migrated: the migration must keep it. */
const OWN_GATE = 'StopGRPCServiceOnDefrag=true';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-versions-'));
let lab: Lab;
/** A one-member 3.6 cluster that is handed a 3.7 snapshot. */
let older: Lab;

beforeAll(async () => {
  [lab, older] = await Promise.all([
    labUp({ dir: join(dir, 'lab'), members: 3, mode: 'static-pod', seedData: true, etcdVersion: '3.5' }),
    labUp({ dir: join(dir, 'older'), members: 1, mode: 'static-pod', etcdVersion: '3.6' }),
  ]);
});
afterAll(async () => {
  await Promise.allSettled([labDown(join(dir, 'lab')), labDown(join(dir, 'older'))]);
  rmSync(dir, { recursive: true, force: true });
});

/** The release a member serves (endpoint status), undefined while it does not answer. */
async function serving(member: Lab['members'][number]): Promise<string | undefined> {
  try {
    return /"version":"([^"]+)"/.exec(await etcdctl(lab, 'endpoint status -w json', member.clientURL))?.[1];
  } catch {
    return undefined;
  }
}

/** The cluster version each member reports on its metrics endpoint. */
async function clusterVersions(): Promise<string[]> {
  return Promise.all(
    lab.members.map(async (m) => {
      const r = await labExec(lab, m.name, `curl -s http://${m.address}:2381/metrics`);
      return /^etcd_cluster_version\{cluster_version="([\d.]+)"\} 1$/m.exec(r.stdout)?.[1] ?? '';
    }),
  );
}

/**
 * A rolling upgrade as an operator does it on kubeadm hosts: on one member at a time the host's etcd binaries are
 * replaced (a bind mount over /usr/bin) and the manifest's image tag changed (the kubelet restarts the pod), the
 * member serving the new release before the next; then the cluster version follows.
 */
async function roll(line: EtcdVersion, sedExtra = ''): Promise<string> {
  const src = etcdSources(line);
  const release = pinnedRelease(line);
  for (const m of lab.members) {
    const binds = (['etcd', 'etcdctl', 'etcdutl'] as const)
      .map((t) => `mount --bind '${src[t]}' /usr/bin/${t}`)
      .join(' && ');
    const edit = `sed -i -e 's#image: registry.k8s.io/etcd:.*#image: ${etcdImageFor(release)}#' ${sedExtra} ${MANIFEST}`;
    const r = await labExec(lab, m.name, `${binds} && ${edit}`);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(async () => (await serving(m)) === release, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: `${m.name} serving etcd ${release}`,
    });
  }
  await waitFor(async () => (await clusterVersions()).every((v) => v === line), {
    timeoutMs: 60_000,
    intervalMs: 500,
    what: `cluster version ${line} on every member`,
  });
  return release;
}

/** A snapshot taken once etcd has written the storage version of its line (shortly after the cluster version). */
async function snapshotOfLine(from: Lab, line: string, name: string): Promise<string> {
  return waitFor(
    async () => {
      const file = await takeSnapshot(from, join(dir, name));
      return storageVersionOf(file) === `${line}.0` ? file : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000, what: `a snapshot with storage version ${line}.0` },
  );
}

/** Breaks the cluster, restores `snap` with restore-multi-master, and checks data and revision. */
async function restoreAndCheck(snap: string, tag: string): Promise<void> {
  const want = snapshotValues(snap);
  expect(want.size).toBeGreaterThan(1000);
  await damage(lab, tag, { overwrite: true });
  expect((await clusterValues(lab)).size).not.toBe(want.size);
  const before = await clusterRevision(lab);
  const runDir = join(dir, `run-${tag}`);
  const r = await cli([
    'run',
    'restore-multi-master',
    '-i',
    lab.inventoryPath,
    '--set',
    `snapshot=${snap}`,
    '--yes',
    '--run-dir',
    runDir,
  ]);
  expectCode(r, 0);
  await expectRevisionOutcome(lab, { runDir, stderr: r.stderr, before });
  await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name) });
  for (const m of lab.members) expectSameData(await clusterValues(lab, m.name), want);
}

describe('disaster recovery across etcd lines', () => {
  let fromV36: string;

  it('a 3.5 snapshot restored onto members rolled to 3.6: its keys and values, a revision past every one before', async () => {
    expect(lab.etcd?.version).toBe('3.5');
    const snap = await takeSnapshot(lab, join(dir, 'v35.db'));
    expect(storageVersionOf(snap)).toBeUndefined();
    // 3.5-era manifests keep their --experimental-* flags on 3.6 (deprecated there); a gate of the operator's own.
    const release = await roll('3.6', `-e 's#^    - etcd$#    - etcd\\n    - --feature-gates=${OWN_GATE}#'`);
    for (const m of lab.members) expect(await serving(m)).toBe(release);
    await restoreAndCheck(snap, 'v35');
  });

  it('on 3.6, diagnose names the --experimental-* flags; migrate-flags replaces them, keeping the gate set by hand', async () => {
    fromV36 = await snapshotOfLine(lab, '3.6', 'v36.db');
    const d = await cli(['diagnose', '-i', lab.inventoryPath]);
    expect(d.stdout).toMatch(
      /cp-1: etcd's configuration carries .*--experimental-initial-corrupt-check=true/,
    );
    expect(d.stdout).toContain('migrate-flags --set members=cp-1');
    const data = await clusterValues(lab);
    const runDir = join(dir, 'run-flags');
    const r = await cli(['run', 'migrate-flags', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir]);
    expectCode(r, 0);
    expect(stepsRun(runDir)).toContain('migrate/migrate-flags');
    for (const m of lab.members) {
      const yaml = await hostRead(lab, m.name, MANIFEST);
      expect(yaml, m.name).not.toMatch(/--experimental-/);
      expect(yaml, m.name).toContain(`- --feature-gates=${OWN_GATE},InitialCorruptCheck=true\n`);
      expect(yaml, m.name).toContain('- --watch-progress-notify-interval=5s\n');
    }
    await expectHealthyCluster(lab);
    expectSameData(await clusterValues(lab), data);
  });

  it('the migrated members run 3.7; a 3.6 snapshot restored on them: its keys and values', async () => {
    const release = await roll('3.7');
    for (const m of lab.members) expect(await serving(m)).toBe(release);
    await restoreAndCheck(fromV36, 'v36');
  });

  it('on 3.7, a member given an --experimental-* flag does not start; diagnose names it, migrate-flags starts it', async () => {
    const member = lab.members.at(-1)!;
    const release = pinnedRelease('3.7');
    const data = await clusterValues(lab);
    const flag = 'experimental-compact-hash-check-enabled';
    const r = await labExec(
      lab,
      member.name,
      `sed -i -e 's#^    - etcd$#    - etcd\\n    - --${flag}=true#' ${MANIFEST}`,
    );
    expect(r.code, r.stderr).toBe(0);
    // etcd's own refusal, in the pod's log the kubelet keeps (an exited container stays exited).
    await waitFor(
      async () =>
        (
          await labExec(
            lab,
            member.name,
            `grep -h -- 'flag provided but not defined: -${flag}' ${member.hostDir}/log/*etcd*.log`,
          )
        ).code === 0,
      { timeoutMs: 60_000, intervalMs: 500, what: `etcd ${release} refusing --${flag} on ${member.name}` },
    );
    expect(await serving(member)).toBeUndefined();
    const d = await cli(['diagnose', '-i', lab.inventoryPath]);
    expect(d.stdout).toContain(
      `${member.name}: etcd's configuration carries --${flag}=true: etcd ${release} refuses`,
    );
    expect(d.stdout).toContain(`migrate-flags --set members=${member.name}`);
    const runDir = join(dir, 'run-flags-37');
    const m = await cli([
      'run',
      'migrate-flags',
      '-i',
      lab.inventoryPath,
      '--set',
      `members=${member.name}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(m, 0);
    const yaml = await hostRead(lab, member.name, MANIFEST);
    expect(yaml).not.toMatch(/--experimental-/);
    expect(yaml).toContain(`- --feature-gates=${OWN_GATE},InitialCorruptCheck=true,CompactHashCheck=true\n`);
    expect(await serving(member)).toBe(release);
    await expectHealthyCluster(lab);
    expectSameData(await clusterValues(lab), data);
  });

  it('a 3.7 snapshot handed to a 3.6 cluster: exit 2, one line naming etcdutl migrate, nothing changed', async () => {
    const snap = await snapshotOfLine(lab, '3.7', 'v37.db');
    const member = older.members[0]!;
    const hostState = async () =>
      (
        await labExec(
          older,
          member.name,
          'ls -la --time-style=+%s /var/lib/etcd /var/lib/etcd/member /backup',
        )
      ).stdout;
    const before = await hostState();
    const runDir = join(dir, 'run-refused');
    const r = await cli([
      'run',
      'restore-single-master',
      '-i',
      older.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 2);
    const line = r.stderr.split('\n').find((l) => l.includes('etcdutl migrate')) ?? r.stderr;
    expect(line).toContain(`snapshot ${snap} (storage version 3.7.0) was written by etcd 3.7`);
    expect(line).toContain(`is etcd ${older.etcd?.release}, which refuses newer data`);
    expect(line).toContain('--target-version 3.6');
    expect(stepsRun(runDir)).toEqual([]);
    expect(await hostState()).toEqual(before);
    expect(/"version":"([^"]+)"/.exec(await etcdctl(older, 'endpoint status -w json'))?.[1]).toBe(
      older.etcd?.release,
    );
  });
});
