// Snapshots of the lab's real etcd (TLS, seeded): inspect/get agree with etcd; after `delete-objects`, diff and extract recover them.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeStoredObject } from '../../src/k8s/encode.js';
import { decodeStoredValue, objectOf } from '../../src/k8s/value.js';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
import { seedObjects } from '../../src/lab/seed.js';
import { diffStates } from '../../src/snapshot/diff.js';
import { inspect } from '../../src/snapshot/inspect.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { run as snapshotCli } from '../../src/cli/snapshot/index.js';
import { labTool } from './runbook-helpers.js';

const run = promisify(execFile);
type Obj = Record<string, unknown>;

describe('snapshot tooling on the lab', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-lab-snap-'));
  let lab: Lab;
  const etcdctl = async (...args: string[]) =>
    (
      await run(
        labTool(lab, 'etcdctl'),
        [
          `--endpoints=${lab.members[0]!.clientURL}`,
          `--cacert=${lab.client.ca}`,
          `--cert=${lab.client.cert}`,
          `--key=${lab.client.key}`,
          ...args,
        ],
        { env: { ...process.env, ETCDCTL_API: '3' }, maxBuffer: 1 << 28 },
      )
    ).stdout;
  // etcdutl of the lab's release: the tool that reads snapshot files on 3.6 and later (etcdctl's was removed).
  const etcdutl = async (...args: string[]) =>
    (await run(labTool(lab, 'etcdutl'), args, { maxBuffer: 1 << 28 })).stdout;
  const before = join(dir, 'before.db');
  const after = join(dir, 'after.db');
  let deletedKeys: string[] = [];
  let getAll: {
    kvs: { key: string; value: string; mod_revision: number; create_revision: number; version: number }[];
  };

  beforeAll(async () => {
    lab = await labUp({ dir, members: 3, mode: 'static-pod', seedData: true });
    await etcdctl('snapshot', 'save', before);
    getAll = JSON.parse(
      await etcdctl(
        'get',
        '/registry/',
        '--prefix',
        '-w',
        'json',
        `--rev=${JSON.parse(await etcdutl('snapshot', 'status', before, '-w', 'json')).revision}`,
      ),
    );
    const r = await labBreak(lab, 'delete-objects');
    deletedKeys = r.deletedKeys ?? [];
    await etcdctl('snapshot', 'save', after);
  });
  afterAll(async () => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('inspect counts equal what etcd reports (etcdutl snapshot status, etcdctl get)', async () => {
    const status = JSON.parse(await etcdutl('snapshot', 'status', before, '-w', 'json')) as {
      hash: number;
      revision: number;
      totalKey: number;
      totalSize: number;
    };
    const s = Snapshot.open(before);
    const r = inspect(s, { hash: true });
    s.close();
    // etcdutl 3.6+ also prints the snapshot's storage version; the four counts are what both compute.
    const { hash, revision, totalKey, totalSize } = status;
    expect({ hash: r.hash, revision: r.revision, totalKey: r.totalKeys, totalSize: r.dbSize }).toEqual({
      hash,
      revision,
      totalKey,
      totalSize,
    });
    const registry = Object.values(r.perResource).reduce((a, b) => a + b, 0);
    expect(registry).toBe(getAll.kvs.length);
  });

  it('get equals etcdctl get for every /registry key, and decodes to the seeded objects', () => {
    const s = Snapshot.open(before);
    const state = s.state({ prefix: '/registry/', values: true });
    s.close();
    expect(state.size).toBe(getAll.kvs.length);
    for (const kv of getAll.kvs) {
      const got = state.get(Buffer.from(kv.key, 'base64').toString('utf8'))!;
      expect([got.value!.toString('base64'), got.modRevision, got.createRevision, got.version]).toEqual([
        kv.value,
        kv.mod_revision,
        kv.create_revision,
        kv.version,
      ]);
    }
    for (const seed of seedObjects()) {
      const got = state.get(seed.key)!;
      const obj = objectOf(decodeStoredValue(got.value!))!;
      if (seed.encoding === 'protobuf')
        expect(Buffer.from(encodeStoredObject(obj)).equals(got.value!)).toBe(true);
      else expect(obj).toEqual(seed.object);
    }
  });

  it('diff against the earlier snapshot names exactly the deleted objects', () => {
    expect(deletedKeys.length).toBeGreaterThan(0);
    const a = Snapshot.open(before);
    const b = Snapshot.open(after);
    const d = diffStates(
      a.state({ digests: true, prefix: '/registry/' }),
      b.state({ digests: true, prefix: '/registry/' }),
    );
    a.close();
    b.close();
    expect(d.removed.map((e) => e.key)).toEqual([...deletedKeys].sort());
    expect(d.added).toEqual([]);
  });

  it('extract gives the deleted objects back as valid manifests', async () => {
    const seeds = new Map(seedObjects().map((o) => [o.key, o]));
    for (const key of deletedKeys) {
      const parts = key.replace('/registry/', '').split('/');
      const [name, ns] = [parts.pop()!, parts.pop()!];
      const kind = parts.join('/');
      let stdout = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
      const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const code = await snapshotCli([
        'extract',
        before,
        '--kind',
        kind,
        '--namespace',
        ns,
        '--name',
        name,
        '--clean',
      ]).finally(() => (spy.mockRestore(), errSpy.mockRestore()));
      expect(code).toBe(0);
      const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
      expect(docs).toHaveLength(1);
      const m = docs[0]!;
      const md = m.metadata as Obj;
      expect([md.name, md.namespace, md.resourceVersion, md.uid, m.status]).toEqual([
        name,
        ns,
        undefined,
        undefined,
        undefined,
      ]);
      const seed = seeds.get(key)!;
      const want = structuredClone(seed.object) as Obj & { metadata: Obj };
      for (const k of [
        'resourceVersion',
        'uid',
        'managedFields',
        'creationTimestamp',
        'generation',
        'selfLink',
      ])
        delete want.metadata[k];
      delete want.status;
      if (seed.encoding === 'protobuf')
        expect(Buffer.from(encodeStoredObject(m)).equals(encodeStoredObject(want))).toBe(true);
      else expect(m).toEqual(want);
    }
  });
});
