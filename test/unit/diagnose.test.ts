import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import type { Facts } from '../../src/engine/facts.js';
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

  it('names the member whose key count and hashkv differ (source 000 §3), as degraded', async () => {
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
