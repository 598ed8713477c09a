import { fileURLToPath } from 'node:url';
// Real snapshots from a throwaway etcd (the lab's default line) on 127.0.0.1: our reader must agree with etcd, etcdctl
// and etcdutl.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LifeboatError } from '../../src/errors/error.js';
import { exitCodeFor } from '../../src/errors/exit.js';
import { encodeStoredObject } from '../../src/k8s/encode.js';
import { decodeStoredValue, objectOf } from '../../src/k8s/value.js';
import { diffStates } from '../../src/snapshot/diff.js';
import { startLocalEtcd, type LocalEtcd } from '../../src/snapshot/etcd-local.js';
import { inspect } from '../../src/snapshot/inspect.js';
import { mergeScans, scanKeys } from '../../src/snapshot/keyscan.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { verify } from '../../src/snapshot/verify.js';
import { run as snapshotCli } from '../../src/cli/snapshot/index.js';

const FIX = fileURLToPath(new URL('../fixtures/k8s-protobuf/', import.meta.url));
const RESOURCE: Record<string, string> = {
  Namespace: 'namespaces',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Service: 'services/specs',
  Endpoints: 'services/endpoints',
  ServiceAccount: 'serviceaccounts',
  Pod: 'pods',
  Node: 'minions',
  PersistentVolume: 'persistentvolumes',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Ingress: 'ingress',
  Lease: 'leases',
};
const CLUSTER = new Set(['Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding']);

interface EtcdctlKv {
  key: string;
  value: string;
  create_revision: number;
  mod_revision: number;
  version: number;
}

let etcd: LocalEtcd;
let A: string;
let B: string;
let RAW: string;
let statusA: { hash: number; revision: number; totalKey: number; totalSize: number };
let getA: EtcdctlKv[];
let getAtRev: EtcdctlKv[];
let midRev = 0;
const deleted = [
  '/registry/configmaps/team-a/cm-3',
  '/registry/secrets/team-b/s-1',
  '/registry/deployments/team-a/web',
];
const seeded = new Map<string, Record<string, unknown>>();

const cm = (ns: string, name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, creationTimestamp: '2024-05-01T10:00:00Z' },
  data,
});

async function etcdctlGet(...extra: string[]): Promise<EtcdctlKv[]> {
  const j = JSON.parse(await etcd.etcdctl('get', '', '--prefix', '-w', 'json', ...extra)) as {
    kvs?: EtcdctlKv[];
  };
  return j.kvs ?? [];
}

beforeAll(async () => {
  etcd = await startLocalEtcd();
  const puts: [string, Uint8Array][] = [];
  for (const f of readdirSync(FIX).filter((x) => x.endsWith('.pb'))) {
    const kind = f.split('.').slice(-2)[0]!;
    puts.push([
      `/registry/${RESOURCE[kind]}/${CLUSTER.has(kind) ? '' : 'namespaceValue/'}nameValue`,
      readFileSync(FIX + f),
    ]);
  }
  for (const ns of ['team-a', 'team-b']) {
    const nsObj = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, uid: `uid-${ns}` },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    puts.push([`/registry/namespaces/${ns}`, encodeStoredObject(nsObj)]);
    for (let i = 0; i < 300; i++) {
      const o = cm(ns, `cm-${i}`, { index: String(i), big: i % 100 === 3 ? 'x'.repeat(20_000) : 'small' });
      seeded.set(`/registry/configmaps/${ns}/cm-${i}`, o);
      puts.push([`/registry/configmaps/${ns}/cm-${i}`, encodeStoredObject(o)]);
    }
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's-1', namespace: ns, uid: `uid-s-${ns}` },
      data: { password: Buffer.from('hunter2').toString('base64') },
      type: 'Opaque',
    };
    seeded.set(`/registry/secrets/${ns}/s-1`, secret);
    puts.push([`/registry/secrets/${ns}/s-1`, encodeStoredObject(secret)]);
  }
  const deploy = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team-a', uid: 'uid-web', generation: 1, labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              resources: { limits: { memory: '128Mi' } },
            },
          ],
        },
      },
    },
    status: {},
  };
  seeded.set('/registry/deployments/team-a/web', deploy);
  puts.push(['/registry/deployments/team-a/web', encodeStoredObject(deploy)]);
  puts.push([
    '/registry/example.com/widgets/team-a/w1',
    '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1","namespace":"team-a"},"spec":{"size":3}}\n' as never,
  ]);
  for (let i = 0; i < puts.length; i += 100) await etcd.putMany(puts.slice(i, i + 100));
  for (let i = 0; i < 20; i++)
    await etcd.put(
      `/registry/configmaps/team-b/cm-${i}`,
      encodeStoredObject(cm('team-b', `cm-${i}`, { index: String(i), rev: 'second' })),
    );
  await etcd.del('/registry/configmaps/team-b/cm-299');
  await etcd.put(
    '/registry/configmaps/team-b/cm-299',
    encodeStoredObject(cm('team-b', 'cm-299', { back: 'again' })),
  );
  const compactAt = JSON.parse(await etcd.etcdctl('get', 'x', '-w', 'json')).header.revision as number;
  await etcd.put(
    '/registry/configmaps/team-b/cm-5',
    encodeStoredObject(cm('team-b', 'cm-5', { third: 'yes' })),
  );
  await etcd.compact(compactAt - 5);
  midRev = compactAt + 1;
  await etcd.put(
    '/registry/configmaps/team-b/cm-6',
    encodeStoredObject(cm('team-b', 'cm-6', { after: 'mid' })),
  );
  A = join(etcd.dir, 'a.db');
  getA = await etcdctlGet();
  getAtRev = await etcdctlGet('--rev', String(midRev));
  await etcd.etcdctl('snapshot', 'save', A);
  statusA = JSON.parse(await etcd.etcdutl('snapshot', 'status', A, '-w', 'json'));
  for (const k of deleted) await etcd.del(k);
  await etcd.put(
    '/registry/configmaps/team-a/cm-0',
    encodeStoredObject(cm('team-a', 'cm-0', { changed: 'yes' })),
  );
  B = join(etcd.dir, 'b.db');
  await etcd.etcdctl('snapshot', 'save', B);
  RAW = join(etcd.dir, 'raw.db');
  writeFileSync(RAW, readFileSync(A).subarray(0, -32)); // what a member/snap/db copy looks like
}, 60_000);

afterAll(async () => {
  await etcd?.stop();
});

const sameStored = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Buffer.from(encodeStoredObject(a)).equals(encodeStoredObject(b));

function capture(fn: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  return fn().then(
    (code) => (o.mockRestore(), e.mockRestore(), { code, stdout, stderr }),
    (err: unknown) => {
      o.mockRestore();
      e.mockRestore();
      throw err;
    },
  );
}

describe('snapshot reader against etcd 3.4', () => {
  it('inspect: revision, total keys, size and hash equal etcdutl snapshot status', () => {
    const s = Snapshot.open(A);
    const r = inspect(s, { hash: true });
    s.close();
    expect({ revision: r.revision, totalKey: r.totalKeys, hash: r.hash, totalSize: r.dbSize }).toEqual({
      revision: statusA.revision,
      totalKey: statusA.totalKey,
      hash: statusA.hash,
      totalSize: statusA.totalSize,
    });
    expect(r.liveKeys).toBe(getA.length);
    expect(r.perResource.configmaps).toBe(601); // 600 seeded + the fixture
    expect(r.perNamespace['team-a']).toBe(303);
    expect(r.compactedRevision).toBeGreaterThan(0);
  });

  it('a key scan split at the root (as inspect does with a worker on large files) merges to the whole scan', () => {
    const s = Snapshot.open(A);
    const ref = s.bucketRef('key')!;
    const kids = s.bolt.rootChildren(ref);
    expect(kids.length).toBeGreaterThanOrEqual(2);
    const whole = scanKeys(s.bolt, ref);
    const mid = Math.floor(kids.length / 2);
    const merged = mergeScans(
      scanKeys(s.bolt, ref, kids.slice(0, mid)),
      scanKeys(s.bolt, ref, kids.slice(mid)),
    );
    s.close();
    expect({ ...merged, final: [...merged.final].sort() }).toEqual({
      ...whole,
      final: [...whole.final].sort(),
    });
    expect(whole.revision).toBe(statusA.revision);
  });

  it('live keys and values equal etcdctl get --prefix, latest and at an older --rev', () => {
    const s = Snapshot.open(A);
    for (const [state, want] of [
      [s.state({ values: true }), getA],
      [s.state({ values: true, rev: midRev }), getAtRev],
    ] as const) {
      expect(state.size).toBe(want.length);
      for (const kv of want) {
        const k = Buffer.from(kv.key, 'base64').toString('utf8');
        const got = state.get(k)!;
        expect({
          c: got.createRevision,
          m: got.modRevision,
          v: got.version,
          val: got.value!.toString('base64'),
        }).toEqual({ c: kv.create_revision, m: kv.mod_revision, v: kv.version, val: kv.value });
      }
    }
    s.close();
  });

  it('get decodes the stored fixtures and seeded objects (resourceVersion = mod_revision)', () => {
    const s = Snapshot.open(A);
    const st = s.state({ values: true });
    s.close();
    const pod = st.get('/registry/pods/namespaceValue/nameValue')!;
    const obj = objectOf(decodeStoredValue(pod.value!, { modRevision: pod.modRevision }))!;
    const want = JSON.parse(readFileSync(FIX + 'core.v1.Pod.json', 'utf8'));
    want.metadata.resourceVersion = String(pod.modRevision);
    expect(obj).toEqual(want);
    const web = st.get('/registry/deployments/team-a/web')!;
    // Decoding fills Go zero structs (strategy: {}, resources: {}): compare what each encodes to.
    expect(
      sameStored(objectOf(decodeStoredValue(web.value!))!, seeded.get('/registry/deployments/team-a/web')!),
    ).toBe(true);
    expect(web.value!.equals(encodeStoredObject(seeded.get('/registry/deployments/team-a/web')!))).toBe(true);
    expect(
      objectOf(decodeStoredValue(st.get('/registry/example.com/widgets/team-a/w1')!.value!)),
    ).toMatchObject({ kind: 'Widget', spec: { size: 3 } });
  });

  it('diff names exactly the deleted objects and the changed one; extract gives them back', async () => {
    const a = Snapshot.open(A);
    const b = Snapshot.open(B);
    const d = diffStates(a.state({ digests: true }), b.state({ digests: true }));
    a.close();
    b.close();
    expect(d.removed.map((e) => e.key)).toEqual([...deleted].sort());
    expect(d.changed.map((e) => e.key)).toEqual(['/registry/configmaps/team-a/cm-0']);
    expect(d.added).toEqual([]);
    const text = await capture(() => snapshotCli(['diff', A, B]));
    expect(text.stdout).toMatch(/removed\s+configmaps\s+team-a\s+cm-3/);
    for (const k of deleted) {
      const [, , resource, ns, name] = k.split('/');
      const res = await capture(() =>
        snapshotCli(['extract', A, '--kind', resource!, '--namespace', ns!, '--name', name!, '--clean']),
      );
      expect(res.code).toBe(0);
      const docs = parseAllDocuments(res.stdout).map((x) => x.toJS() as Record<string, unknown>);
      const want = structuredClone(seeded.get(k)!) as { metadata: Record<string, unknown>; status?: unknown };
      delete want.metadata.uid;
      delete want.metadata.creationTimestamp;
      delete want.metadata.generation;
      delete want.status;
      expect(docs).toHaveLength(1);
      expect(sameStored(docs[0]!, want)).toBe(true);
      expect(docs[0]!.metadata).toEqual(want.metadata);
    }
  });

  it('extract by kind lists every object of that kind in a namespace, as a List in JSON', async () => {
    const res = await capture(() =>
      snapshotCli(['extract', A, '--kind', 'ConfigMap', '-n', 'team-b', '-o', 'json']),
    );
    const list = JSON.parse(res.stdout) as { kind: string; items: unknown[] };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(300);
  });

  it('extract --since REV gives what changed after REV and names what was deleted after it', async () => {
    const res = await capture(() => snapshotCli(['extract', B, '--since', String(statusA.revision)]));
    expect(res.code).toBe(0);
    const docs = parseAllDocuments(res.stdout).map((x) => x.toJS() as { metadata: { name: string } });
    expect(docs.map((d) => d.metadata.name)).toEqual(['cm-0']);
    for (const k of deleted)
      expect(res.stderr).toContain(
        `${k}: deleted after revision ${statusA.revision}; get it back with --rev`,
      );
    // In A, after midRev only cm-6 changed (cm-5 was written at midRev itself).
    const a = await capture(() => snapshotCli(['extract', A, '--since', String(midRev), '-o', 'json']));
    expect((JSON.parse(a.stdout) as { items: { data: unknown }[] }).items.map((i) => i.data)).toEqual([
      { after: 'mid' },
    ]);
  });

  it('extract --for-apply without --kind: filters by namespace and name over the whole store, strips state', async () => {
    const res = await capture(() =>
      snapshotCli(['extract', A, '--namespace', 'team-a', '--name', 'web', '--for-apply', '-o', 'json']),
    );
    expect(res.code).toBe(0);
    const obj = JSON.parse(res.stdout) as {
      kind: string;
      metadata: Record<string, unknown>;
      status?: unknown;
    };
    expect(obj.kind).toBe('Deployment');
    expect(obj.status).toBeUndefined();
    expect(Object.keys(obj.metadata).sort()).toEqual(['labels', 'name', 'namespace']);
    expect(res.stderr).toMatch(/for-apply: dropped status, uid, resourceVersion.* from 1 object/);
  });

  it('extract: bad flag values are one-line usage errors (exit 2)', async () => {
    for (const [args, msg] of [
      [['--since', 'abc'], /--since 'abc' is not a revision/],
      [['--since', '999999999'], /after the snapshot's last revision/],
      [['--since', '5', '--rev', '5'], /not before --rev/],
      [['--namespace', 'a/b'], /not a Kubernetes object name/],
      [['--kind', 'Nope'], /unknown --kind 'Nope'/],
      [['--kind', 'Namespace', '--namespace', 'x'], /cluster-scoped/],
    ] as const) {
      const err = await snapshotCli(['extract', A, ...args]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LifeboatError);
      expect(exitCodeFor((err as LifeboatError).code)).toBe(2);
      expect((err as LifeboatError).oneLine()).toMatch(msg);
      expect((err as LifeboatError).oneLine()).not.toContain('\n');
    }
  });

  it('verify: ok with sha256; raw db copy flagged; tampered value is a sha256 mismatch', async () => {
    const s = Snapshot.open(A);
    expect(verify(s)).toMatchObject({ sha256: 'ok', ok: true, problems: [] });
    s.close();
    const raw = await capture(() => snapshotCli(['verify', RAW]));
    expect(raw.code).toBe(0);
    expect(raw.stderr).toMatch(/raw member\/snap\/db copy.*--skip-hash-check/);
    const bad = join(etcd.dir, 'tampered.db');
    copyFileSync(A, bad);
    const b = readFileSync(bad);
    const at =
      b.indexOf(Buffer.from('hunter2').toString('base64').slice(0, 4)) >= 0
        ? b.indexOf(Buffer.from('hunter2'))
        : -1;
    b[at > 0 ? at : b.indexOf(Buffer.from('small'))]! ^= 0x20;
    writeFileSync(bad, b);
    await expect(snapshotCli(['verify', bad])).rejects.toThrow(/sha256 mismatch/);
  });

  it('verify tells saved from raw by the bbolt structure: a saved snapshot cut or extended by one byte is exit-2 input', async () => {
    for (const [name, bytes, why] of [
      [
        'cut.db',
        readFileSync(A).subarray(0, readFileSync(A).length - 1),
        /truncated: the sha256 after the last page is 31 of 32 bytes/,
      ],
      ['ext.db', Buffer.concat([readFileSync(A), Buffer.from([0])]), /extended: 1 bytes past the sha256/],
    ] as const) {
      const f = join(etcd.dir, name);
      writeFileSync(f, bytes);
      const e = await snapshotCli(['verify', f]).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(LifeboatError);
      expect((e as LifeboatError).code).toBe('input');
      expect((e as LifeboatError).message).toMatch(why);
    }
  });

  it('bad input: empty, truncated and non-snapshot files are one-line LifeboatErrors', async () => {
    const empty = join(etcd.dir, 'empty.db');
    writeFileSync(empty, '');
    const trunc = join(etcd.dir, 'trunc.db');
    writeFileSync(trunc, readFileSync(A).subarray(0, 40_000));
    const text = join(etcd.dir, 'notes.txt');
    writeFileSync(text, 'hello\n'.repeat(1000));
    for (const [f, msg] of [
      [empty, /empty/],
      [trunc, /truncated/],
      [text, /not an etcd snapshot/],
      [join(etcd.dir, 'missing.db'), /does not exist/],
    ] as const) {
      const err = await snapshotCli(['inspect', f]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LifeboatError);
      expect((err as LifeboatError).code).toBe('input');
      expect((err as LifeboatError).oneLine()).toMatch(msg);
      expect((err as LifeboatError).oneLine()).toContain(f);
    }
  });
});
