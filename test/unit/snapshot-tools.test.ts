// snapshot analyze, history, checksum and leases against a throwaway etcd on 127.0.0.1: the hash equals what etcd's
// HashKV answers at each revision, history equals what `etcdctl get --rev` gave at each, leases equal `lease list`.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as snapshotCli } from '../../src/cli/snapshot/index.js';
import { encodeStoredObject } from '../../src/k8s/encode.js';
import { decodeStoredValue, objectOf } from '../../src/k8s/value.js';
import { analyze } from '../../src/snapshot/analyze.js';
import { keyspaceHash } from '../../src/snapshot/checksum.js';
import { startLocalEtcd, type LocalEtcd } from '../../src/snapshot/etcd-local.js';
import { keyHistory } from '../../src/snapshot/history.js';
import { leases } from '../../src/snapshot/leases.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';

let etcd: LocalEtcd;
let file: string;
const HOT = '/registry/configmaps/team-a/hot';
const revsOfHot: number[] = [];
let leaseId = '';
let compactedAt = 0;

const cm = (name: string, data: Record<string, string>) =>
  encodeStoredObject({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}` },
    data,
  });
const revision = async () =>
  (JSON.parse(await etcd.etcdctl('get', 'x', '-w', 'json')) as { header: { revision: number } }).header
    .revision;

beforeAll(async () => {
  etcd = await startLocalEtcd();
  for (let i = 0; i < 50; i++) await etcd.put(`/registry/secrets/team-b/s-${i}`, 'x'.repeat(100));
  await etcd.put(HOT, cm('hot', { v: '0' }));
  compactedAt = await revision();
  await etcd.compact(compactedAt); // the first revision of HOT survives compaction: it is the key's latest then
  revsOfHot.push(compactedAt);
  // History: many big revisions of one key, then a deletion and a new life.
  for (let i = 1; i <= 40; i++) {
    await etcd.put(HOT, cm('hot', { v: String(i), pad: 'p'.repeat(20_000) }));
    revsOfHot.push(await revision());
  }
  await etcd.del(HOT);
  await etcd.put(HOT, cm('hot', { v: 'reborn' }));
  // The simple output: the ID as hex (-w json prints it as a number a double cannot hold).
  leaseId = /lease ([0-9a-f]+) granted/.exec(await etcd.etcdctl('lease', 'grant', '600'))![1]!;
  await etcd.etcdctl('put', '/registry/leases/kube-node-lease/n1', 'v', `--lease=${leaseId}`);
  await etcd.etcdctl('put', '/registry/events/team-a/e1', 'v', `--lease=${leaseId}`);
  file = join(etcd.dir, 's.db');
  await etcd.etcdctl('snapshot', 'save', file);
}, 120_000);
afterAll(async () => {
  await etcd?.stop();
});

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await snapshotCli(args), stdout };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('snapshot analyze, history, checksum, leases', () => {
  it('checksum equals etcd HashKV at the latest revision and at earlier ones', async () => {
    const s = Snapshot.open(file);
    try {
      for (const rev of [0, revsOfHot[10]!, compactedAt + 1]) {
        const etcdHash = JSON.parse(
          await etcd.etcdctl('endpoint', 'hashkv', `--rev=${rev}`, '-w', 'json'),
        ) as { HashKV: { hash: number; compact_revision?: number } }[];
        const ours = keyspaceHash(s, rev === 0 ? undefined : rev);
        expect({ rev, hash: ours.hash }).toEqual({ rev, hash: etcdHash[0]!.HashKV.hash });
      }
    } finally {
      s.close();
    }
    // etcd refuses a compacted revision: so does checksum, naming the first it can hash.
    await expect(cli(['checksum', file, '--rev', String(compactedAt)])).rejects.toThrow(/was compacted/);
    const text = await cli(['checksum', file]);
    expect(text.stdout).toMatch(/^hash \d+ at revision \d+/);
  });

  it('analyze names the resource that holds the bytes, and the key whose history it is', async () => {
    const s = Snapshot.open(file);
    const r = analyze(s);
    s.close();
    expect(r.byResource[0]).toMatchObject({ resource: 'configmaps', objects: 1, revisions: 43 });
    expect(r.byResource[0]!.bytes).toBeGreaterThan(40 * 20_000);
    expect(r.mostRevisions[0]).toMatchObject({ key: HOT, revisions: 43, live: true });
    expect(r.byNamespace.find((x) => x.namespace === 'team-b')).toMatchObject({ objects: 50, revisions: 50 });
    expect(r.verdict).toMatch(/^configmaps holds \d+ % .*history: compaction frees it/);
    const text = await cli(['analyze', file]);
    expect(text.stdout).toMatch(/Verdict: +configmaps holds/);
  });

  it('history gives every stored revision of a key, decoded, the deletion included', async () => {
    const s = Snapshot.open(file);
    const h = keyHistory(s, HOT);
    s.close();
    expect(h.filter((x) => !x.deleted).map((x) => x.revision)).toEqual([...revsOfHot, h.at(-1)!.revision]);
    expect(h.filter((x) => x.deleted)).toHaveLength(1);
    expect((objectOf(decodeStoredValue(h[5]!.value!))!.data as Record<string, string>).v).toBe('5');
    const r = await cli(['history', file, HOT, '-o', 'json']);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.stdout) as {
      revision: number;
      deleted: boolean;
      object?: { data: { v: string } };
    }[];
    expect(docs.at(-1)!.object!.data.v).toBe('reborn');
    expect(docs.at(-2)!.deleted).toBe(true);
  });

  it('leases: the TTL etcd granted and the keys attached, as etcdctl lease list/timetolive', async () => {
    const s = Snapshot.open(file);
    const l = leases(s);
    s.close();
    const listed = await etcd.etcdctl('lease', 'list');
    expect(listed).toContain(leaseId);
    expect(l.leases).toEqual([
      { id: leaseId, ttl: 600, keys: ['/registry/leases/kube-node-lease/n1', '/registry/events/team-a/e1'] },
    ]);
    expect(l.orphanKeys).toEqual([]);
  });
});
