// Diagnosis (docs/procedures.md#diagnose): member list, status table, quorum verdict, alarms,
// and the per-member consistency check (key count and hashkv at one revision).
import { sh } from '../shell/sh.js';
import type { Executor } from '../shell/executor.js';
import type { Inventory } from '../inventory/resolve.js';
import { quorum, type Facts, type QuorumVerdict } from './facts.js';
import { makeTools } from './tools.js';
import { kib, parseAlarms, QUOTA_WARN, storageOf, type Alarm, type MemberStorage } from './storage.js';
import { LEASES, staleLeases } from './leases.js';
import { staleEndpoints } from './endpoints.js';
import { CERT_WARN_DAYS, readCerts, type CertInfo } from './certcheck.js';
import { upgradeHazards } from './hazards.js';

export interface MemberConsistency {
  member: string;
  keys?: number;
  hash?: string;
  alarms: string[];
  /** The size gauges of the member's /metrics (empty when curl or the endpoint is missing). */
  metrics?: Record<string, number>;
  error?: string;
}

/** Something diagnose saw, with the runbook that deals with it; warnings make the verdict degraded (exit 1). */
export interface Finding {
  severity: 'warning' | 'info';
  member?: string;
  message: string;
  runbook?: string;
}

export interface Diagnosis {
  cluster: string;
  verdict: 'healthy' | 'degraded' | 'quorum-lost';
  reasons: string[];
  quorum: QuorumVerdict;
  revision?: number;
  facts: Facts;
  consistency: MemberConsistency[];
  disagreeing: string[];
  /** Alarms raised in the cluster (etcd keeps one list for all members), by the member that raised them. */
  alarms: Alarm[];
  storage: MemberStorage[];
  /** etcd's certificates on each reachable member, with days left. */
  certificates: CertInfo[];
  findings: Finding[];
}

const num = (out: string, key: string) => {
  const m = new RegExp(`"${key}":(\\d+)`).exec(out);
  return m?.[1] === undefined ? undefined : Number(m[1]);
};

/** Per member: serializable key count and hashkv at one revision (alarms and metrics from the probe's facts). */
export async function consistency(
  inv: Inventory,
  facts: Facts,
  ex: Executor,
  revision: number,
): Promise<MemberConsistency[]> {
  return Promise.all(
    inv.members.map(async (m): Promise<MemberConsistency> => {
      const f = facts.members[m.name];
      if (!f?.etcdUp || !f.status)
        return {
          member: m.name,
          alarms: [],
          error: f?.reachable === false ? 'unreachable' : 'etcd does not answer',
        };
      const t = makeTools(m, f);
      const script = sh.lines(
        sh.join(
          [
            sh`echo "--count--";`,
            sh`${t.etcdctl(sh`get "" --prefix --keys-only --limit=1 --consistency=s -w json --command-timeout=5s`)}`,
            sh`2>&1`,
          ],
          ' ',
        ),
        sh.join(
          [
            sh`echo; echo "--hash--"`,
            sh`${t.etcdctl(sh`endpoint hashkv --rev=${revision} -w json --command-timeout=5s`)} 2>&1`,
          ],
          '; ',
        ),
        sh`true`,
      ).text;
      try {
        const r = await ex.exec(m.name, script, { timeoutMs: 30_000 });
        const [, count = '', hashPart = ''] = r.stdout.split(/--count--|--hash--/);
        const hash = /"hash":(\d+)/.exec(hashPart)?.[1];
        // Alarms and /metrics as the probe just read them (without quorum, alarm list waits its whole timeout).
        const out: MemberConsistency = {
          member: m.name,
          keys: num(count, 'count') ?? (/"header"/.test(count) ? 0 : undefined),
          alarms: f.alarms ?? [],
          metrics: f.metrics ?? {},
        };
        if (hash) out.hash = hash;
        else out.error = hashPart.trim().split('\n').pop() ?? 'no hash';
        return out;
      } catch (err) {
        return { member: m.name, alarms: [], error: (err as Error).message };
      }
    }),
  );
}

/** The value most members agree on, and who differs from it. */
function outliers<T>(rows: Array<{ member: string; v: T | undefined }>): string[] {
  const counts = new Map<T, number>();
  for (const r of rows) if (r.v !== undefined) counts.set(r.v, (counts.get(r.v) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return rows.filter((r) => r.v !== undefined && r.v !== top).map((r) => r.member);
}

export async function diagnose(inv: Inventory, facts: Facts, ex: Executor): Promise<Diagnosis> {
  const names = inv.members.map((m) => m.name);
  const q = quorum(facts, names);
  const reasons: string[] = [];
  const answering = names
    .map((n) => facts.members[n]?.status?.revision)
    .filter((r): r is number => r !== undefined && r > 0);
  // The lowest revision every answering member has reached: hashkv compares like with like.
  const revision = answering.length ? Math.min(...answering) : undefined;
  // Read-only questions that do not depend on each other: asked at once (each is one SSH command per member).
  const [cons, certificates, leases, endpoints] = await Promise.all([
    revision === undefined ? Promise.resolve([]) : consistency(inv, facts, ex, revision),
    facts.certificates ?? readCerts(inv, facts, ex, new Date()),
    staleLeases(inv, facts, ex),
    staleEndpoints(inv, facts, ex),
  ]);
  const disagreeing = [
    ...new Set([
      ...outliers(cons.map((c) => ({ member: c.member, v: c.hash }))),
      ...outliers(cons.map((c) => ({ member: c.member, v: c.keys }))),
    ]),
  ];
  // With quorum held, a member whose etcd stays down is replaced from the majority (its own data may be what stops it).
  const down = q.lost ? [] : names.filter((n) => facts.members[n]?.reachable && !facts.members[n]?.etcdUp);
  for (const n of names) {
    const f = facts.members[n];
    if (!f?.reachable) reasons.push(`${n}: unreachable over SSH`);
    else if (!f.etcdUp && !down.includes(n)) reasons.push(`${n}: etcd is not running`);
    else if (!f.healthy && !f.alarmOnly) reasons.push(`${n}: etcd runs but is not healthy`);
  }
  const listed = facts.memberList
    ?.map((m) => m.name)
    .sort()
    .join(',');
  if (listed !== undefined && listed !== [...names].sort().join(','))
    reasons.push(`member list (${listed}) differs from the inventory (${[...names].sort().join(',')})`);
  const ids = new Map((facts.memberList ?? []).map((m) => [m.id, m.name]));
  const alarms = parseAlarms(
    cons.flatMap((c) => c.alarms),
    ids,
  );
  const storage = cons.flatMap((c) => {
    const s = facts.members[c.member]?.status;
    return s ? [storageOf(c.member, s.dbSize, c.metrics ?? {})] : [];
  });
  const findings = [
    ...upgradeHazards(inv, facts),
    ...alarmFindings(alarms),
    ...storageFindings(storage),
    ...certFindings(certificates),
    ...down.map((n): Finding => ({
      severity: 'warning',
      member: n,
      message:
        `${n}: etcd is not running; if it does not start again (its log on ${n} says why, e.g. "found data ` +
        `inconsistency with peers"), replace it from the majority`,
      runbook: `replace-member --set failed=${n}`,
    })),
    ...disagreeing.map((d): Finding => {
      const c = cons.find((x) => x.member === d);
      return {
        severity: 'warning',
        member: d,
        message:
          `${d}: disagrees with the majority at revision ${revision} (keys ${c?.keys ?? '?'}, hashkv ` +
          `${c?.hash ?? '?'})`,
        runbook: `replace-member --set failed=${d}`,
      };
    }),
  ];
  for (const f of findings)
    if (f.severity === 'warning') reasons.push(f.runbook ? `${f.message} — run ${f.runbook}` : f.message);
  for (const a of leases)
    reasons.push(
      `stale API server lease ${LEASES}${a} (${a} is no member's address): the kubernetes ` +
        `Endpoints may name a dead API server; the readdress and restore runbooks remove it`,
    );
  for (const e of endpoints)
    reasons.push(`${e.key} names ${e.stale.join(', ')} (no member's address): ${e.fix}`);
  const verdict = q.lost ? 'quorum-lost' : reasons.length ? 'degraded' : 'healthy';
  const out: Diagnosis = {
    cluster: inv.cluster,
    verdict,
    reasons,
    quorum: q,
    facts,
    consistency: cons,
    disagreeing,
    alarms,
    storage,
    certificates,
    findings,
  };
  if (revision !== undefined) out.revision = revision;
  return out;
}

/** The runbooks that deal with space: free-space for NOSPACE or a nearly full quota, defrag for free pages. */
const FREE_SPACE = 'free-space';
const DEFRAG = 'defrag';

/** Where to look for what filled the quota: a snapshot's analysis (bytes per resource, history vs live). */
const NOSPACE_ANALYZE: Finding = {
  severity: 'info',
  message:
    "what filled the quota: 'etcdctl snapshot save FILE' then 'lifeboat snapshot analyze FILE' " +
    '(bytes per resource and namespace, history or live)',
};

function alarmFindings(alarms: Alarm[]): Finding[] {
  const analyze = alarms.some((a) => a.alarm === 'NOSPACE') ? [NOSPACE_ANALYZE] : [];
  return [...alarmsOf(alarms), ...analyze];
}

function alarmsOf(alarms: Alarm[]): Finding[] {
  return alarms.map((a) =>
    a.alarm === 'NOSPACE'
      ? {
          severity: 'warning',
          member: a.member,
          message: `${a.member}: alarm NOSPACE (database space exceeded: the cluster takes no writes)`,
          runbook: FREE_SPACE,
        }
      : a.alarm === 'CORRUPT'
        ? {
            severity: 'warning',
            member: a.member,
            message: `${a.member}: alarm CORRUPT (its data differs from the others')`,
            runbook: `replace-member --set failed=${a.member}`,
          }
        : { severity: 'warning', member: a.member, message: `${a.member}: alarm ${a.alarm}` },
  );
}

function storageFindings(storage: MemberStorage[]): Finding[] {
  const out: Finding[] = [];
  for (const s of storage) {
    const used =
      `${kib(s.dbSize)} of its ${kib(s.quota)} quota (${s.usedPct} ` +
      `%)${s.quotaFrom === 'default' ? ', quota assumed: etcd default' : ''}`;
    if (s.usedPct > QUOTA_WARN * 100)
      out.push({
        severity: 'warning',
        member: s.member,
        message: `${s.member}: db uses ${used}`,
        runbook: FREE_SPACE,
      });
    else if ((s.fragmentationPct ?? 0) >= 50 && s.dbSize - (s.inUse ?? s.dbSize) >= 0.1 * s.quota)
      out.push({
        severity: 'info',
        member: s.member,
        message: `${s.member}: ${s.fragmentationPct} % of its ${kib(s.dbSize)} db is free pages`,
        runbook: DEFRAG,
      });
  }
  return out;
}

/** One finding per cause (expired, not valid yet, expiring soon, a missing address), naming its members and files. */
function certFindings(certs: CertInfo[]): Finding[] {
  const group = (match: (c: CertInfo) => boolean, what: (some: CertInfo[]) => string): Finding[] => {
    const some = certs.filter(match);
    if (!some.length) return [];
    const on = [...new Set(some.map((c) => c.member))].join(', ');
    const files = some.length === 1 ? some[0]!.file : `${some.length} files`;
    return [{ severity: 'warning', message: `${what(some)} on ${on} (${files})`, runbook: 'renew-certs' }];
  };
  const first = (some: CertInfo[]) => [...some].sort((a, b) => a.notAfter.localeCompare(b.notAfter))[0]!;
  return [
    ...group(
      (c) => c.daysLeft < 0,
      (some) => `certificates expired (the first on ${first(some).notAfter.slice(0, 10)})`,
    ),
    ...group(
      (c) => c.notBefore !== undefined,
      (some) => `certificates not valid yet (until ${some[0]!.notBefore!.slice(0, 10)})`,
    ),
    ...group(
      (c) => c.daysLeft >= 0 && c.daysLeft < CERT_WARN_DAYS,
      (some) => `certificates expire in ${first(some).daysLeft} days or less`,
    ),
    ...group(
      (c) => c.missingAddress === true,
      () => "certificates that do not name the member's address among their SANs",
    ),
  ];
}
