// What a restore does to a real watcher (the etcd3 client, TLS from the lab): the revision goes past every revision
// seen before and a watch resumed from the old revision is told "compacted" (so an informer relists). Follows
// LAB_ETCD_VERSION (every lab line has etcdutl's --bump-revision; 3.4's warning is unit-tested).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3, type IWatchResponse, type Watcher } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterRevision,
  expectCode,
  expectHealthyCluster,
  oneLab,
  readAuditEvents,
  takeSnapshot,
} from './runbook-helpers.js';

let lab: Lab;
const dir = oneLab('watch', { members: 3, mode: 'static-pod' }, (l) => (lab = l));

const client = (l: Lab) =>
  new Etcd3({
    hosts: l.members.map((m) => m.clientURL),
    credentials: {
      rootCertificate: readFileSync(l.client.ca),
      privateKey: readFileSync(l.client.key),
      certChain: readFileSync(l.client.cert),
    },
  });

/** A raw watch on /registry/ from a revision: every response until one cancels it or the deadline. */
async function watchFrom(c: Etcd3, rev: number, until: (r: IWatchResponse) => boolean) {
  const stream = await c.watchClient.watch();
  const seen: IWatchResponse[] = [];
  stream.on('data', (r: IWatchResponse) => seen.push(r));
  stream.write({
    create_request: {
      key: Buffer.from('/registry/'),
      range_end: Buffer.from('/registry0'),
      start_revision: String(rev),
    },
  });
  try {
    await waitFor(() => seen.some(until), { timeoutMs: 20_000, intervalMs: 50, what: `watch from ${rev}` });
  } finally {
    stream.end();
  }
  return seen;
}

const restore = (runDir: string, snap: string, extra: string[] = []) =>
  cli([
    'run',
    'restore-multi-master',
    '-i',
    lab.inventoryPath,
    '--set',
    `snapshot=${snap}`,
    ...extra,
    '--yes',
    '--run-dir',
    runDir,
  ]);

const whyOf = (runDir: string) =>
  String(readAuditEvents(runDir).find((e) => e.type === 'decision' && e.stateId === 'decide/shape')?.why);

describe('a watcher across restore-multi-master from an older snapshot', () => {
  let etcd: Etcd3;
  let watcher: Watcher;
  let snap: string;
  let maxSeen = 0;
  const errors: string[] = [];
  let connects = 0;

  beforeAll(async () => {
    snap = await takeSnapshot(lab, join(dir, 'old.db'));
    etcd = client(lab);
    watcher = await etcd.watch().prefix('/registry/').create();
    watcher.on('data', (r) => {
      for (const e of r.events) maxSeen = Math.max(maxSeen, Number(e.kv.mod_revision));
    });
    watcher.on('error', (e: Error) => errors.push(e.message));
    watcher.on('connected', () => connects++);
    // Writes after the snapshot: revisions the watcher sees and the restored cluster never had.
    for (let i = 0; i < 20; i++)
      await etcd.put(`/registry/configmaps/default/after-snapshot-${i}`).value('v');
    const last = await clusterRevision(lab);
    await waitFor(() => maxSeen >= last, {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: 'the watcher at the head',
    });
  });
  afterAll(() => etcd?.close());

  it('restores; the revision after is above every revision seen', async () => {
    const seenBefore = maxSeen;
    const runDir = join(dir, 'run-1');
    const r = await restore(runDir, snap);
    expectCode(r, 0);
    await expectHealthyCluster(lab);
    const after = await clusterRevision(lab);
    const why = whyOf(runDir);
    const snapRev = Number(/keys at revision (\d+)/.exec(why)?.[1]);
    expect(snapRev).toBeLessThan(seenBefore);
    expect(after, `after ${after} > seen ${seenBefore}`).toBeGreaterThan(seenBefore);
    // The plan says how the default bump was derived: the guides' 1e9, the revisions seen, the snapshot's revision.
    expect(why).toMatch(
      new RegExp(
        `bump 1000000000 = the etcd and Kubernetes restore guides' 1000000000 \\(highest revision seen \\d+, snapshot at ${snapRev}: \\d+ written after it\\)`,
      ),
    );
    expect(after).toBeGreaterThanOrEqual(snapRev + 1_000_000_000);
  });

  it('a watch resumed from the old revision is told "compacted"', async () => {
    const resumed = await watchFrom(etcd, maxSeen + 1, (r) => r.canceled);
    const cancel = resumed.find((r) => r.canceled);
    expect(cancel, 'the resumed watch is canceled').toBeDefined();
    expect(Number(cancel!.compact_revision)).toBeGreaterThan(maxSeen);
    // The watcher that was open through the restore resumed from its last revision itself and got the same answer.
    await waitFor(() => errors.length > 0, {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: 'the open watcher canceled',
    });
    expect(errors[0]).toMatch(/Watcher canceled/);
    expect(connects).toBeGreaterThan(0);
  });

  it('--set bumpRevision=N is honoured and named in the plan', async () => {
    const before = await clusterRevision(lab);
    const n = 2_000_000_000;
    const runDir = join(dir, 'run-n');
    const r = await restore(runDir, snap, ['--set', `bumpRevision=${n}`]);
    expectCode(r, 0);
    const why = whyOf(runDir);
    expect(why).toMatch(new RegExp(`bump ${n} \\(--set bumpRevision\\)`));
    const snapRev = Number(/keys at revision (\d+)/.exec(why)?.[1]);
    const after = await clusterRevision(lab);
    expect(after).toBeGreaterThanOrEqual(snapRev + n);
    expect(after).toBeLessThan(snapRev + n + 1000);
    expect(after).toBeGreaterThan(before);
  });
});
