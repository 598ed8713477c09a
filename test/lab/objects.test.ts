// Object recovery end to end: kinds the old table lacked, written to the lab's etcd as real k8s protobuf, deleted,
// then named by `snapshot diff` and given back by `snapshot extract --for-apply` (the built CLI, as a user runs it).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStoredObject, wrapUnknown } from '../../src/k8s/encode.js';
import { kindFor } from '../../src/k8s/schema/index.js';
import { labDown, labUp, type Lab } from '../../src/lab/index.js';
import { EtcdClient } from '../../src/lab/grpc.js';
import { labTool } from './runbook-helpers.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../bin/lifeboat');
type Meta = Record<string, unknown> & { name: string };
type Obj = Record<string, unknown> & { metadata: Meta };

async function lifeboat(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { maxBuffer: 1 << 26, encoding: 'buffer' });
    return { code: 0, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString() };
  } catch (err) {
    const e = err as { code?: number; stdout?: Buffer; stderr?: Buffer };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout?.toString('latin1') ?? '', stderr: e.stderr?.toString() ?? '' };
  }
}

const meta = (name: string, extra: Record<string, unknown> = {}): Meta => ({
  name,
  namespace: 'team-a',
  uid: `uid-${name}`,
  creationTimestamp: '2025-03-01T09:00:00Z',
  labels: { app: 'web' },
  ...extra,
});
const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
  },
};

// Seeded objects, each of a kind the hand table did not know (and the legacy and OpenShift ones).
const SEEDS: Obj[] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('deny-ingress'),
    spec: {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { role: 'front' } } }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
      policyTypes: ['Ingress'],
    },
  },
  {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta('web-pdb', { generation: 3 }),
    spec: {
      minAvailable: '50%',
      selector: { matchLabels: { app: 'web' } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
    status: {
      observedGeneration: 3,
      disruptionsAllowed: 1,
      currentHealthy: 2,
      desiredHealthy: 1,
      expectedPods: 2,
    },
  },
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('web-hpa', {
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone', uid: 'uid-not-in-extract' },
      ],
    }),
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    },
    status: { currentReplicas: 2, desiredReplicas: 2 },
  },
  {
    // What a cluster upgraded from Kubernetes 1.15 or older may still hold.
    apiVersion: 'extensions/v1beta1',
    kind: 'Deployment',
    metadata: meta('legacy', { generation: 9223372036854775807n }),
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template, revisionHistoryLimit: 2 },
    status: {},
  },
  {
    apiVersion: 'route.openshift.io/v1',
    kind: 'Route',
    metadata: meta('web'),
    spec: {
      host: 'web.example.com',
      to: { kind: 'Service', name: 'web', weight: 100 },
      wildcardPolicy: 'None',
    },
    status: {},
  },
];
const keyOf = (o: Obj): string =>
  `/registry/${kindFor(o.apiVersion as string, o.kind as string)!.resource}/team-a/${o.metadata.name as string}`;
const gone = SEEDS.slice(0, 4);
const changed = SEEDS[4]!;
const WIDGET_KEY = '/registry/example.com/widgets/team-a/w1';

describe('object recovery on the lab (real etcd, k8s protobuf values)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-lab-objects-'));
  const before = join(dir, 'before.db');
  const after = join(dir, 'after.db');
  let lab: Lab;
  let seededAt = 0;
  const etcdctl = (...args: string[]) =>
    run(
      labTool(lab, 'etcdctl'),
      [
        `--endpoints=${lab.members[0]!.clientURL}`,
        `--cacert=${lab.client.ca}`,
        `--cert=${lab.client.cert}`,
        `--key=${lab.client.key}`,
        ...args,
      ],
      { env: { ...process.env, ETCDCTL_API: '3' } },
    );

  beforeAll(async () => {
    lab = await labUp({ dir, members: 3, mode: 'static-pod' });
    const c = new EtcdClient(lab.members[0]!.clientURL, lab.client);
    try {
      // A protobuf value of a kind no schema knows: it must come back raw and marked.
      await c.put(WIDGET_KEY, wrapUnknown('example.com/v1', 'Widget', Uint8Array.of(0x0a, 0x02, 0x0a, 0x00)));
      for (const o of SEEDS) seededAt = await c.put(keyOf(o), encodeStoredObject(o));
      await etcdctl('snapshot', 'save', before);
      for (const o of gone) await c.deleteRange(keyOf(o));
      await c.put(
        keyOf(changed),
        encodeStoredObject({ ...changed, spec: { ...(changed.spec as Obj), host: 'new.example.com' } }),
      );
      await etcdctl('snapshot', 'save', after);
    } finally {
      c.close();
    }
  });
  afterAll(async () => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('snapshot get -o raw gives the exact stored bytes; -o json prints int64 2^63-1 exactly', async () => {
    for (const o of SEEDS) {
      const r = await lifeboat('snapshot', 'get', before, keyOf(o), '-o', 'raw');
      expect(r.code).toBe(0);
      expect(Buffer.from(r.stdout, 'latin1').equals(encodeStoredObject(o))).toBe(true);
    }
    const j = await lifeboat('snapshot', 'get', before, keyOf(SEEDS[3]!), '-o', 'json');
    expect(j.stdout).toContain('"generation": 9223372036854775807,');
  });

  it('snapshot diff names the four deleted objects and the changed Route', async () => {
    const r = await lifeboat('snapshot', 'diff', before, after, '-o', 'json');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { removed: { key: string }[]; changed: { key: string }[] };
    expect(d.removed.map((e) => e.key)).toEqual(gone.map(keyOf).sort());
    expect(d.changed.map((e) => e.key)).toEqual([keyOf(changed)]);
    const text = await lifeboat('snapshot', 'diff', before, after);
    for (const res of ['networkpolicies', 'poddisruptionbudgets', 'horizontalpodautoscalers', 'deployments'])
      expect(text.stdout).toMatch(new RegExp(`removed\\s+${res}\\s+team-a`));
  });

  it('extract --for-apply gives manifests of the right kinds with the seeded spec, ready for kubectl apply', async () => {
    const r = await lifeboat('snapshot', 'extract', before, '--namespace', 'team-a', '--for-apply');
    // The Widget is raw: named on stderr and counted, the exit code says not everything decoded.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${WIDGET_KEY}: skipped: no schema for example.com/v1 Widget`));
    expect(r.stderr).toContain(
      'HorizontalPodAutoscaler team-a/web-hpa: dropped 1 ownerReference(s) to objects not in the extract',
    );
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    expect(docs.map((d) => `${d.apiVersion as string} ${d.kind as string}`).sort()).toEqual(
      SEEDS.map((o) => `${o.apiVersion as string} ${o.kind as string}`).sort(),
    );
    for (const seed of SEEDS) {
      const doc = docs.find((d) => d.kind === seed.kind && d.apiVersion === seed.apiVersion)!;
      expect(Object.keys(doc.metadata).sort()).toEqual(['labels', 'name', 'namespace']);
      expect(doc.status).toBeUndefined();
      expect(doc.spec).toMatchObject(seed.spec as Obj);
      const want: Record<string, unknown> = {
        ...seed,
        metadata: { name: seed.metadata.name, namespace: 'team-a', labels: seed.metadata.labels },
      };
      delete want.status;
      // Parses as an object of its kind: the strict encoder takes it, and it stores as the seed minus the state.
      expect(Buffer.from(encodeStoredObject(doc)).equals(encodeStoredObject(want))).toBe(true);
    }
  });

  it('extract --since the seeding revision gives the changed Route and names the deleted objects', async () => {
    const r = await lifeboat('snapshot', 'extract', after, '--since', String(seededAt), '-o', 'json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { items: Obj[] };
    expect(list.items.map((i) => [i.kind, (i.spec as Obj).host])).toEqual([['Route', 'new.example.com']]);
    for (const o of gone) expect(r.stderr).toContain(`${keyOf(o)}: deleted after revision ${seededAt}`);
  });

  it('get of the unknown kind: -o json carries lifeboatDecode, one stderr line, exit 1', async () => {
    const r = await lifeboat('snapshot', 'get', before, WIDGET_KEY, '-o', 'json');
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { lifeboatDecode: unknown }).lifeboatDecode).toMatchObject({
      status: 'raw',
    });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
