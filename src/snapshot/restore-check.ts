// A restore test of one snapshot: restored with the etcd tools of its own version into a throwaway data dir (0700,
// under the temp dir), served by an etcd on 127.0.0.1 only, compared with what the backup manifest recorded, every
// Kubernetes object decoded; then that etcd is stopped by pid and the dir removed.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeStoredValue, incomplete } from '../k8s/value.js';
import { keyspaceHash } from './checksum.js';
import type { EtcdTools } from './etcd-binaries.js';
import { startLocalEtcd } from './etcd-local.js';
import { inspect } from './inspect.js';
import { Snapshot } from './snapshot.js';

const run = promisify(execFile);

/** What the backup manifest says about this member's snapshot (etcdctl snapshot status at backup time). */
export interface Recorded {
  revision?: number;
  totalKey?: number;
  hash?: number;
}

export interface RestoreCheck {
  file: string;
  release: string;
  revision: number;
  liveKeys: number;
  hashKV: number;
  objects: { total: number; full: number; partial: number; raw: number };
  /** One line per disagreement, each naming both sides. */
  mismatches: string[];
}

/** `etcdutl snapshot restore` (3.5+) or `etcdctl snapshot restore` (3.4) into dir/restored. */
async function restore(
  tools: EtcdTools,
  file: string,
  dir: string,
  member: { name: string; peerURL: string },
) {
  const data = join(dir, 'restored');
  const args = [
    'snapshot',
    'restore',
    file,
    '--data-dir',
    data,
    '--name',
    member.name,
    '--initial-cluster',
    `${member.name}=${member.peerURL}`,
    '--initial-advertise-peer-urls',
    member.peerURL,
  ];
  const snap = Snapshot.open(file);
  const hasHash = snap.hasHash;
  snap.close();
  if (!hasHash) args.push('--skip-hash-check');
  await run(tools.etcdutl ?? tools.etcdctl, args, {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 600_000,
    maxBuffer: 1 << 24,
  });
  return data;
}

interface Served {
  revision: number;
  count: number;
  hashKV: number;
}

async function served(etcdctl: (...a: string[]) => Promise<string>): Promise<Served> {
  const status = JSON.parse(await etcdctl('endpoint', 'status', '-w', 'json')) as {
    Status: { header: { revision: number } };
  }[];
  // A range's count is every key in it, whatever the limit (etcdctl 3.4 has no --count-only with json).
  const count = JSON.parse(
    await etcdctl('get', '', '--prefix', '--keys-only', '--limit=1', '-w', 'json'),
  ) as {
    count?: number;
  };
  const hash = JSON.parse(await etcdctl('endpoint', 'hashkv', '-w', 'json')) as {
    HashKV: { hash: number };
  }[];
  return {
    revision: status[0]!.Status.header.revision,
    count: count.count ?? 0,
    hashKV: hash[0]!.HashKV.hash,
  };
}

function decodeAll(snap: Snapshot): RestoreCheck['objects'] {
  const objects = { total: 0, full: 0, partial: 0, raw: 0 };
  for (const [key, live] of snap.state({ prefix: '/registry/', values: true })) {
    objects.total++;
    const val = decodeStoredValue(live.value!, { key, modRevision: live.modRevision });
    if (!incomplete(val)) objects.full++;
    else if (val.format === 'protobuf' && val.typed) objects.partial++;
    else objects.raw++;
  }
  return objects;
}

/** meta/storageVersion of a snapshot (3.6+), undefined before 3.6. */
export function storageVersionOf(file: string): string | undefined {
  const snap = Snapshot.open(file);
  try {
    return snap.etcdMeta().storageVersion;
  } finally {
    snap.close();
  }
}

export async function restoreCheck(
  file: string,
  tools: EtcdTools,
  recorded: Recorded,
): Promise<RestoreCheck> {
  const snap = Snapshot.open(file);
  let ours;
  try {
    ours = {
      inspect: inspect(snap, { hash: true }),
      hash: keyspaceHash(snap),
      live: snap.state({}).size,
      objects: decodeAll(snap),
    };
  } finally {
    snap.close();
  }
  const etcd = await startLocalEtcd({
    etcd: tools.etcd,
    etcdctl: tools.etcdctl,
    timeoutMs: 120_000,
    prepare: (dir, member) => restore(tools, file, dir, member),
  });
  let got: Served;
  try {
    got = await served(etcd.etcdctl);
  } finally {
    await etcd.stop();
  }
  const mismatches: string[] = [];
  const differ = (what: string, a: number | undefined, b: number, bName: string) => {
    if (a !== undefined && a !== b) mismatches.push(`${what}: the manifest says ${a}, ${bName} ${b}`);
  };
  differ('revision', recorded.revision, got.revision, 'the restored etcd serves');
  differ('total keys', recorded.totalKey, ours.inspect.totalKeys, 'the snapshot holds');
  differ('hash (snapshot status)', recorded.hash, ours.inspect.hash ?? 0, 'the snapshot has');
  if (got.count !== ours.live)
    mismatches.push(`keys: the snapshot holds ${ours.live} live keys, the restored etcd serves ${got.count}`);
  if (got.hashKV !== ours.hash.hash)
    mismatches.push(
      `hashkv: the snapshot's keyspace hashes to ${ours.hash.hash}, the restored etcd to ${got.hashKV}`,
    );
  return {
    file,
    release: tools.release,
    revision: got.revision,
    liveKeys: got.count,
    hashKV: got.hashKV,
    objects: ours.objects,
    mismatches,
  };
}
