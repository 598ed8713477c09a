// The real control plane of the lab (kube-apiserver, controller-manager, scheduler of the pinned release) through a
// restore-multi-master and a recover-quorum: what kubectl and a watch started before the disaster see afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requires } from '../helpers/capability.js';
import {
  kubectl,
  kubernetesVersion,
  labBreak,
  labDown,
  labUp,
  mustKubectl,
  SEED_LABEL,
  waitFor,
  type Lab,
} from '../../src/lab/index.js';
import { cli, etcdctl, expectCode, expectHealthyCluster, takeSnapshot } from './runbook-helpers.js';
import {
  expectControlPlaneSettled,
  expectSameView,
  seededView,
  WatchClient,
  type SeededView,
} from './kube-helpers.js';

const WATCHED = `/api/v1/configmaps?labelSelector=${encodeURIComponent(`${SEED_LABEL}=true`)}`;

/** The configmaps of a seeded view, keyed as the watch client keys them. */
const configmapsOf = (v: SeededView) =>
  new Map(
    [...v.objects]
      .filter(([k]) => k.startsWith('configmaps/'))
      .map(([k, o]) => [k.slice('configmaps/'.length), o]),
  );

/** A view and a snapshot that agree: read, snapshot, read again until both reads are equal (controllers settle). */
async function snapshotWithView(lab: Lab, to: string): Promise<{ snap: string; view: SeededView }> {
  return waitFor(
    async () => {
      const before = await seededView(lab);
      const snap = await takeSnapshot(lab, to);
      const after = await seededView(lab);
      expectSameView(after.objects, before.objects);
      return { snap, view: after };
    },
    { timeoutMs: 120_000, intervalMs: 1000, what: 'a snapshot taken while the seeded objects held still' },
  );
}

const asked = requires(
  'the real Kubernetes control plane (npm run test:kubernetes builds it and runs this file)',
  process.env.LIFEBOAT_KUBERNETES === '1',
  false,
);

describe.runIf(asked)('real control plane, static-pod, 3 members', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-kube-'));
  let lab: Lab;
  let watch: WatchClient | undefined;

  beforeAll(async () => {
    lab = await labUp({
      dir: join(dir, 'lab'),
      members: 3,
      mode: 'static-pod',
      seedData: true,
      controlPlane: 'real',
    });
  }, 600_000);
  afterAll(async () => {
    await watch?.stop();
    await labDown(join(dir, 'lab'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the pinned release: /version, kubectl get nodes,ns,secrets -A, Secrets encrypted at rest', async () => {
    const version = JSON.parse(await mustKubectl(lab, ['get', '--raw', '/version'])) as {
      gitVersion: string;
    };
    expect(version.gitVersion).toBe(kubernetesVersion());
    const r = await kubectl(lab, ['get', 'nodes,ns,secrets', '-A']);
    expect(r.code, r.stderr).toBe(0);
    // More than one kind: kubectl prefixes each name with its kind.
    expect(r.stdout).toMatch(/team-a\s+secret\/secret-0\s+Opaque/);
    const stored = await etcdctl(lab, 'get /registry/secrets/team-a/secret-0 --print-value-only');
    expect(stored.startsWith('k8s:enc:aescbc:v1:key1:'), stored.slice(0, 40)).toBe(true);
    const view = await seededView(lab);
    process.stdout.write(`real control plane: ${view.kinds} seeded kinds, ${view.objects.size} objects\n`);
    const kinds = new Set([...view.objects.keys()].map((k) => k.split('/')[0]));
    expect(kinds.size).toBe(view.kinds);
  });

  it('restore-multi-master: kubectl shows the snapshot, a watch relists (410), leases and EndpointSlice recover', async () => {
    const { snap, view } = await snapshotWithView(lab, join(dir, 'good.db'));
    watch = new WatchClient(lab, WATCHED);
    const cms = configmapsOf(view);
    await waitFor(() => watch!.view.size === cms.size, {
      timeoutMs: 60_000,
      what: 'the watch client to list',
    });
    // The disaster: objects deleted, changed and added through the API after the snapshot.
    await mustKubectl(lab, ['delete', 'configmap', '-n', 'team-a', 'config-0', 'config-1']);
    await mustKubectl(lab, ['delete', 'secret', '-n', 'team-b', 'secret-1']);
    await mustKubectl(lab, ['delete', 'widgets.lifeboat.example.com', '-n', 'team-c', 'widget-2']);
    await mustKubectl(lab, [
      'patch',
      'configmap',
      '-n',
      'team-b',
      'config-2',
      '-p',
      '{"data":{"n":"changed"}}',
    ]);
    await mustKubectl(lab, ['create', 'configmap', '-n', 'team-a', 'after-snapshot', '--from-literal=a=b']);
    await mustKubectl(lab, ['label', 'configmap', '-n', 'team-a', 'after-snapshot', `${SEED_LABEL}=true`]);
    await waitFor(() => watch!.view.has('team-a/after-snapshot') && !watch!.view.has('team-a/config-0'), {
      timeoutMs: 30_000,
      what: 'the watch client to see the changes',
    });
    const gone = watch.gone;
    const started = new Date();
    const r = await cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      join(dir, 'run-rmm'),
    ]);
    expectCode(r, 0);
    await expectHealthyCluster(lab, { asideOn: lab.members.map((m) => m.name) });
    const after = await seededView(lab);
    expectSameView(after.objects, view.objects);
    expect(
      after.maxResourceVersion > view.maxResourceVersion,
      `${after.maxResourceVersion} > ${view.maxResourceVersion}`,
    ).toBe(true);
    // The watch started before the disaster: told its revision is gone, it relisted and shows the snapshot's state.
    await waitFor(
      () => watch!.gone > gone && JSON.stringify([...watch!.view].sort()) === JSON.stringify([...cms].sort()),
      {
        timeoutMs: 180_000,
        what: `the watch client to relist after 410 (gone ${watch.gone}, ${watch.view.size} objects)`,
      },
    );
    expect(watch.view.has('team-a/after-snapshot')).toBe(false);
    await expectControlPlaneSettled(lab, started);
  });

  it('recover-quorum: after losing a majority, kubectl shows every object, the watch catches up, leases recover', async () => {
    const view = await seededView(lab);
    const cms = configmapsOf(view);
    await labBreak(lab, 'lose-quorum');
    const started = new Date();
    const r = await cli([
      'run',
      'recover-quorum',
      '-i',
      lab.inventoryPath,
      '--set',
      'strategy=snapshot',
      '--yes',
      '--run-dir',
      join(dir, 'run-rq'),
    ]);
    expectCode(r, 0);
    await expectHealthyCluster(lab);
    await waitFor(async () => (await kubectl(lab, ['get', '--raw', '/readyz'])).code === 0, {
      timeoutMs: 120_000,
      what: 'kube-apiserver ready',
    });
    expectSameView((await seededView(lab)).objects, view.objects);
    await waitFor(() => JSON.stringify([...watch!.view].sort()) === JSON.stringify([...cms].sort()), {
      timeoutMs: 180_000,
      what: 'the watch client to show every configmap again',
    });
    await expectControlPlaneSettled(lab, started);
  });
});
