import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/etcd/diagnose.js';
import type { Facts } from '../../src/etcd/facts.js';
import { parseMetrics } from '../../src/etcd/storage.js';
import { loadInventory } from '../../src/inventory/load.js';
import { FakeExecutor } from '../helpers/fake-executor.js';

const dir = mkdtempSync(join(tmpdir(), 'lb-diag-'));
writeFileSync(
  join(dir, 'i.yaml'),
  'apiVersion: lifeboat/v1\ncluster: d\ntopology: static-pod\nmembers:\n  - { name: a, address: 10.0.0.1 }\n  - { name: b, address: 10.0.0.2 }\n  - { name: c, address: 10.0.0.3 }\n',
);
const inv = loadInventory(join(dir, 'i.yaml'));
const up = (id: string, rev: number) => ({
  reachable: true,
  etcdUp: true,
  healthy: true,
  status: {
    memberId: id,
    leader: '1',
    raftIndex: 10,
    raftTerm: 2,
    revision: rev,
    dbSize: 1,
    version: '3.4.23',
    isLearner: false,
  },
});
const facts = (over: Partial<Facts['members']> = {}): Facts => ({
  probed: true,
  members: { a: up('1', 20), b: up('2', 21), c: up('3', 20), ...over } as Facts['members'],
  memberList: ['a', 'b', 'c'].map((n, i) => ({
    id: String(i + 1),
    name: n,
    peerURLs: [],
    clientURLs: [],
    isLearner: false,
  })),
});
const answer = (keys: Record<string, number>, hashes: Record<string, string>) =>
  new FakeExecutor((m, c) => {
    expect(c).toContain('hashkv --rev=20');
    return {
      stdout: `--count--\n{"header":{},"count":${keys[m]}}\n--hash--\n[{"Endpoint":"x","HashKV":{"hash":${hashes[m]}}}]\n--alarms--\n`,
    };
  });

describe('diagnose', () => {
  it('healthy when every member answers and agrees at the lowest common revision', async () => {
    const d = await diagnose(inv, facts(), answer({ a: 5, b: 5, c: 5 }, { a: '7', b: '7', c: '7' }));
    expect(d).toMatchObject({ verdict: 'healthy', revision: 20, disagreeing: [], reasons: [] });
  });

  it('names the member whose key count and hashkv differ, as degraded', async () => {
    const d = await diagnose(inv, facts(), answer({ a: 5, b: 5, c: 4 }, { a: '7', b: '7', c: '9' }));
    expect(d.verdict).toBe('degraded');
    expect(d.disagreeing).toEqual(['c']);
    expect(d.reasons.join('\n')).toMatch(
      /c: disagrees with the majority at revision 20 \(keys 4, hashkv 9\)/,
    );
  });

  it('quorum lost when a majority does not answer', async () => {
    const down = { reachable: true, etcdUp: false, healthy: false };
    const d = await diagnose(inv, facts({ b: down, c: down }), answer({ a: 5 }, { a: '7' }));
    expect(d.verdict).toBe('quorum-lost');
    expect(d.reasons).toEqual(['b: etcd is not running', 'c: etcd is not running']);
  });
});

describe('diagnose: space and alarms', () => {
  const metrics = (size: number, inUse: number, quota: number) =>
    `etcd_mvcc_db_total_size_in_bytes ${size}\netcd_mvcc_db_total_size_in_use_in_bytes ${inUse}\netcd_server_quota_backend_bytes ${quota}`;
  // Alarms and metrics are the probe's facts; the consistency read only counts and hashes.
  const hashes = new FakeExecutor(() => ({
    stdout: `--count--\n{"header":{},"count":5}\n--hash--\n[{"HashKV":{"hash":7}}]\n`,
  }));
  const spaced = (alarms: string, m: string): Facts => {
    const f = facts();
    for (const member of Object.values(f.members)) {
      member.alarms = alarms ? [alarms] : [];
      const me = parseMetrics(m);
      if (Object.keys(me).length) member.metrics = me;
    }
    return f;
  };

  it('NOSPACE alarm (deduplicated, named by member ID) and > 80 % of quota: degraded, free-space named', async () => {
    const d = await diagnose(inv, spaced('memberID:2 alarm:NOSPACE', metrics(900, 880, 1000)), hashes);
    expect(d.verdict).toBe('degraded');
    expect(d.alarms).toEqual([{ member: 'b', alarm: 'NOSPACE' }]);
    expect(d.storage[0]).toMatchObject({
      dbSize: 900,
      inUse: 880,
      quota: 1000,
      usedPct: 90,
      quotaFrom: 'metrics',
    });
    expect(d.reasons).toContain(
      'b: alarm NOSPACE (database space exceeded: the cluster takes no writes) — run free-space',
    );
    expect(d.reasons.filter((r) => /db uses .* \(90 %\) — run free-space$/.test(r))).toHaveLength(3);
    expect(d.findings.filter((f) => /lifeboat snapshot analyze FILE/.test(f.message))).toEqual([
      expect.objectContaining({ severity: 'info' }),
    ]);
  });

  it('CORRUPT names replace-member for the member that raised it', async () => {
    const d = await diagnose(inv, spaced('memberID:3 alarm:CORRUPT', metrics(100, 90, 1000)), hashes);
    expect(d.reasons).toEqual([
      "c: alarm CORRUPT (its data differs from the others') — run replace-member --set failed=c",
    ]);
  });

  it('fragmentation alone is a note, not a warning; no metrics: etcd default quota assumed', async () => {
    const frag = await diagnose(inv, spaced('', metrics(600, 100, 1000)), hashes);
    expect(frag.verdict).toBe('healthy');
    expect(frag.findings[0]).toMatchObject({
      severity: 'info',
      runbook: 'defrag',
    });
    expect(frag.storage[0]!.fragmentationPct).toBeCloseTo(83.3);
    const none = await diagnose(inv, spaced('', ''), hashes);
    expect(none.storage[0]).toMatchObject({ quotaFrom: 'default', quota: 2 * 1024 ** 3 });
    expect(none.verdict).toBe('healthy');
  });
});
