// Issue 12's pure parts: the probe's alarm facts, space from facts, the free-space and defrag decisions, cert parsing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certInfos, parseCerts, splitCerts } from '../../src/etcd/certcheck.js';
import { parseProbe, probeScript, quorum, type Facts, type MemberFacts } from '../../src/etcd/facts.js';
import { loadRunbook } from '../../src/engine/registry.js';
import { spaceFromFacts } from '../../src/etcd/storage.js';
import { plan, stepsOf, type PlannedStep } from '../../src/engine/plan.js';
import type { DecisionDef, PlanCtx } from '../../src/engine/types.js';
import { systemd } from '../../src/platform/systemd.js';
import { loadInventory } from '../../src/inventory/load.js';

const dir = mkdtempSync(join(tmpdir(), 'lb-incidents-'));
const invFile = join(dir, 'inv.yaml');
writeFileSync(
  invFile,
  'apiVersion: lifeboat/v1\ncluster: c\ntopology: static-pod\nmembers:\n  - { name: a, address: 127.0.0.2 }\n  - { name: b, address: 127.0.0.3 }\n  - { name: c, address: 127.0.0.4 }\n',
);
const inv = loadInventory(invFile);
const metrics = (size: number, inUse: number, quota: number) => ({
  etcd_mvcc_db_total_size_in_bytes: size,
  etcd_mvcc_db_total_size_in_use_in_bytes: inUse,
  etcd_server_quota_backend_bytes: quota,
});
const member = (i: number, o: Partial<MemberFacts> = {}): MemberFacts => ({
  reachable: true,
  etcdUp: true,
  healthy: true,
  status: {
    memberId: `${i + 1}`,
    leader: '2',
    raftIndex: 10,
    raftTerm: 2,
    revision: 5,
    dbSize: 100,
    version: '3.5.16',
    isLearner: false,
  },
  metrics: metrics(100, 90, 1000),
  alarms: [],
  ...o,
});
const facts = (m: Record<string, MemberFacts>): Facts => ({ probed: true, members: m });
const ctx = (f: Facts, params: Record<string, string> = {}): PlanCtx => ({
  inventory: inv,
  facts: f,
  params,
  runId: 'r',
  stamp: '20260101T000000Z',
  files: {},
});
const decide = async (id: string, c: PlanCtx) =>
  ((await loadRunbook(id)).def.nodes[0] as DecisionDef).decide(c);

describe('probe: alarms and NOSPACE-only health', () => {
  it('reads the alarm lines and size gauges; a member failing health only for NOSPACE keeps its vote', () => {
    const out = [
      'alarm_only=1',
      'etcd_up=1',
      '--status--',
      '[{"Endpoint":"x","Status":{"header":{"member_id":1,"revision":5},"leader":1,"raftIndex":9,"dbSize":100}}]',
      '--alarms--',
      'memberID:1 alarm:NOSPACE ',
      '--metrics--',
      'etcd_server_quota_backend_bytes 4.194304e+06',
      'etcd_mvcc_db_total_size_in_bytes 4800000',
    ].join('\n');
    const f = parseProbe(out).facts;
    expect(f).toMatchObject({ healthy: false, alarmOnly: true, alarms: ['memberID:1 alarm:NOSPACE'] });
    expect(f.metrics).toEqual({
      etcd_server_quota_backend_bytes: 4194304,
      etcd_mvcc_db_total_size_in_bytes: 4800000,
    });
    const q = quorum(facts({ a: f, b: { reachable: true }, c: { ...f } }), ['a', 'b', 'c']);
    expect(q).toMatchObject({ healthy: 2, lost: false });
  });
});

describe('space from facts', () => {
  it('names alarms by member ID and computes use and fragmentation per member', () => {
    const s = spaceFromFacts(
      facts({
        a: member(0, { alarms: ['memberID:2 alarm:NOSPACE'] }),
        b: member(1, { metrics: metrics(900, 300, 1000) }),
      }),
      ['a', 'b'],
    );
    expect(s.alarms).toEqual([{ member: 'b', alarm: 'NOSPACE' }]);
    expect(s.storage.map((x) => [x.member, x.usedPct, x.fragmentationPct])).toEqual([
      ['a', 10, 10],
      ['b', 90, 66.7],
    ]);
  });
});

describe('free-space decision', () => {
  const all = (o: Partial<MemberFacts> = {}) => ({ a: member(0, o), b: member(1, o), c: member(2, o) });
  it('refuses without NOSPACE or high use, frees with the alarm, the leader last', async () => {
    expect(await decide('free-space', ctx(facts(all())))).toMatchObject({
      branch: 'refuse',
      why: expect.stringMatching(/use the defrag runbook/),
    });
    expect((await decide('free-space', ctx(facts(all()), { force: 'true' }))).branch).toBe('free');
    const f = all();
    f.a.alarms = ['memberID:1 alarm:NOSPACE'];
    expect(await decide('free-space', ctx(facts(f)))).toMatchObject({
      branch: 'free',
      why: expect.stringMatching(/NOSPACE alarm raised.*order a, c, b \(leader last\)/),
    });
  });
  it('refuses with a CORRUPT alarm too, or a member that does not answer', async () => {
    const f = all({ alarms: ['memberID:1 alarm:NOSPACE', 'memberID:3 alarm:CORRUPT'] });
    expect((await decide('free-space', ctx(facts(f)))).why).toMatch(/alarm CORRUPT on c raised too/);
    const g = all({ alarms: ['memberID:1 alarm:NOSPACE'] });
    g.c = { reachable: true, etcdUp: false };
    expect((await decide('free-space', ctx(facts(g)))).why).toMatch(/^c does not answer/);
  });
});

const scriptOn = (s: PlannedStep | undefined, m: string) =>
  (s?.hosts.find((h) => h.member === m)?.actions ?? [])
    .map((a) => (a.kind === 'sh' ? a.script : a.kind))
    .join('\n');
const steps = async (id: string, c: PlanCtx) => stepsOf(plan((await loadRunbook(id)).def, c));

describe('free-space raises the quota when live data fills it', () => {
  it('plans a raise to twice the probed quota, followers first, the leader last, before the disarm', async () => {
    const f = { a: member(0), b: member(1), c: member(2) };
    f.a.alarms = ['memberID:1 alarm:NOSPACE'];
    const d = await decide('free-space', ctx(facts(f)));
    expect(d.why).toMatch(/--quota-backend-bytes raised from 1000 to 2000 \(rolling restart\) if live data/);
    const s = await steps('free-space', ctx(facts(f)));
    const ids = s.map((x) => x.stateId);
    expect(ids.indexOf('quota/raise-quota')).toBeGreaterThan(ids.indexOf('defrag/defrag'));
    expect(ids.indexOf('quota/raise-quota')).toBeLessThan(ids.indexOf('writes/disarm'));
    const raise = s.find((x) => x.stateId === 'quota/raise-quota');
    expect(raise?.destructive).toBe(true);
    expect(raise?.hosts.map((h) => h.member)).toEqual(['a', 'c', 'b']);
    const sc = scriptOn(raise, 'b');
    expect(sc).toMatch(/-gt 800 \]/); // 80 % of the probed quota
    expect(sc).toContain('--quota-backend-bytes=2000');
    expect(sc).toContain('before-20260101T000000Z');
    const own = await steps('free-space', ctx(facts(f), { quota: '5000' }));
    expect(
      scriptOn(
        own.find((x) => x.stateId === 'quota/raise-quota'),
        'a',
      ),
    ).toContain('--quota-backend-bytes=5000');
  });
  it('systemd sets ETCD_QUOTA_BACKEND_BYTES in etcd.conf, keeping a copy', () => {
    const sd = loadInventory(invFile);
    const m = { ...sd.members[0]!, config: '/etc/etcd/etcd.conf' };
    const t = systemd.setEtcdFlags(m, '20260101T000000Z', { 'quota-backend-bytes': '8388608' }).text;
    expect(t).toContain('ETCD_QUOTA_BACKEND_BYTES="8388608"');
    expect(t).toContain('etcd.conf');
    expect(t).toMatch(/before-20260101T000000Z/);
  });
});

/** The probe's case pattern for a health check that failed only for an alarm. */
const CASE = `*'Active Alarm(s): NOSPACE'*|*'Active Alarm(s): '*CORRUPT*|*'corrupt cluster'*`;

describe('replace-member with a CORRUPT alarm', () => {
  const corrupt = () => {
    const f = { a: member(0), b: member(1), c: member(2) };
    // etcd 3.5's health check fails on every member while CORRUPT is raised: they still answer and vote.
    for (const x of Object.values(f))
      Object.assign(x, { healthy: false, alarmOnly: true, alarms: ['memberID:2 alarm:CORRUPT'] });
    return f;
  };
  it('disarms CORRUPT once the member it names is removed, before the replacement joins', async () => {
    const c = ctx(facts(corrupt()), { failed: 'b' });
    expect(await decide('replace-member', c)).toMatchObject({
      branch: 'replace',
      why: expect.stringMatching(/alarm CORRUPT on b: disarmed once it is removed/),
    });
    const s = await steps('replace-member', c);
    expect(s.map((x) => x.stateId)).toEqual([
      'membership/remove',
      'alarm/disarm-corrupt',
      'join/add-replacement',
      'config/initial-cluster',
      'verify/verify-cluster',
    ]);
    const disarm = s[1]!;
    expect(disarm.hosts.map((h) => h.member)).toEqual(['a']);
    expect(scriptOn(disarm, 'a')).toMatch(/grep -q 'alarm:CORRUPT'; then .*alarm disarm/);
    expect(disarm.hosts[0]?.verify?.script ?? '').toMatch(/alarm list.*\[ -z "\$out" \]/s);
  });
  it('without the alarm: no disarm step; a CORRUPT alarm naming another member: refused', async () => {
    const plain = { a: member(0), b: member(1), c: member(2) };
    expect(
      (await steps('replace-member', ctx(facts(plain), { failed: 'b' }))).map((x) => x.stateId),
    ).not.toContain('alarm/disarm-corrupt');
    expect((await decide('replace-member', ctx(facts(corrupt()), { failed: 'c' }))).why).toMatch(
      /alarm CORRUPT names b too/,
    );
  });
  it('the probe counts a member failing health only for CORRUPT as answering (it votes)', () => {
    const h = 'is unhealthy: failed to commit proposal: Active Alarm(s): memberID:2 alarm:CORRUPT';
    const out = spawnSync('sh', ['-c', `case "$1" in ${CASE}) echo alarm_only=1;; esac`, 'x', h], {
      encoding: 'utf8',
    });
    expect(out.stdout.trim()).toBe('alarm_only=1');
    expect(probeScript(inv.members[0]!)).toContain(CASE);
    expect(quorum(facts(corrupt()), ['a', 'b', 'c']).lost).toBe(false);
  });
});

describe('defrag decision', () => {
  it('skips members under the threshold and refuses when nobody gains', async () => {
    const low = { metrics: metrics(100, 95, 1000) };
    const f = facts({
      a: member(0, { metrics: metrics(1000, 100, 4000) }),
      b: member(1, low),
      c: member(2, low),
    });
    expect((await decide('defrag', ctx(f))).why).toMatch(
      /defragmenting a 90 % of 1 KiB.*skipped under 10 %: b, c/,
    );
    expect((await decide('defrag', ctx(f, { threshold: '95' }))).branch).toBe('refuse');
    expect((await decide('defrag', ctx(f, { members: 'zz' }))).why).toMatch(/unknown member\(s\) zz/);
  });
});

describe('certificates', () => {
  const at = (d: string) => Date.parse(d);
  it('days left, roles, and a server cert without the member address', () => {
    const m = inv.members[0]!;
    const now = new Date('2026-01-01T00:00:00Z');
    const certs = [
      {
        file: '/etc/kubernetes/pki/etcd/server.crt',
        notAfter: at('2026-01-11T00:00:00Z'),
        sans: ['DNS:a', 'IP:127.0.0.9'],
      },
      {
        file: '/etc/kubernetes/pki/etcd/peer.crt',
        notAfter: at('2025-12-31T00:00:00Z'),
        sans: ['DNS:a', 'IP:127.0.0.2'],
      },
      {
        file: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
        notAfter: at('2027-01-01T00:00:00Z'),
        sans: [],
      },
      { file: '/etc/other.crt', notAfter: at('2027-01-01T00:00:00Z'), sans: [] },
    ].map((c) => ({ ...c, tagged: '' }));
    expect(
      certInfos(m, 'static-pod', certs, now).map((c) => [c.role, c.daysLeft, c.missingAddress ?? false]),
    ).toEqual([
      ['server', 10, true],
      ['peer', -1, false],
      ['client', 365, false],
    ]);
  });

  it("decodes the host's PEM output: end date and SANs of each file; a key, junk or no block is nothing", () => {
    const d = mkdtempSync(join(tmpdir(), 'lifeboat-certs-'));
    const r = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '10',
      '-subj',
      '/CN=etcd',
      '-addext',
      'subjectAltName=DNS:cp-1,IP:127.0.0.2',
      '-keyout',
      join(d, 'k'),
      '-out',
      join(d, 'c'),
    ]);
    expect(r.status).toBe(0);
    const pem = readFileSync(join(d, 'c'), 'utf8').trim();
    const key = readFileSync(join(d, 'k'), 'utf8').trim();
    const out = [
      'cert|/etc/kubernetes/pki/etcd/peer.crt|',
      pem,
      'cert|/etc/x/server.crt|server',
      pem,
      'cert|/etc/x/junk.crt|peer',
      '-----BEGIN CERTIFICATE-----',
      'AAAA',
      '-----END CERTIFICATE-----',
      'cert|/etc/x/key.crt|client',
      key,
      'cert|/etc/x/empty.crt|client',
    ].join('\n');
    const seen = splitCerts(out);
    expect(seen.map((c) => [c.file, c.tagged, c.sans])).toEqual([
      ['/etc/kubernetes/pki/etcd/peer.crt', '', ['DNS:cp-1', 'IP:127.0.0.2']],
      ['/etc/x/server.crt', 'server', ['DNS:cp-1', 'IP:127.0.0.2']],
    ]);
    const days = (seen[0]!.notAfter - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(9);
    expect(days).toBeLessThanOrEqual(10);
    const infos = parseCerts(inv.members[0]!, 'static-pod', out, new Date());
    expect(infos.map((c) => [c.file, c.role, c.missingAddress ?? false])).toEqual([
      ['/etc/kubernetes/pki/etcd/peer.crt', 'peer', inv.members[0]!.address !== '127.0.0.2'],
      ['/etc/x/server.crt', 'server', inv.members[0]!.address !== '127.0.0.2'],
    ]);
  });
});
