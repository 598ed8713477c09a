// Backend space per member (db size, in use, quota) and alarms: what diagnose reads to see NOSPACE coming.
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';

/** etcd's default --quota-backend-bytes (2 GiB), used when the metrics endpoint does not answer. */
export const DEFAULT_QUOTA = 2 * 1024 ** 3;
/**
 * Above this share of the quota, diagnose warns (exit 1) and free-space raises the quota when live data
 * alone is this big.
 */
export const QUOTA_WARN = 0.8;

export interface MemberStorage {
  member: string;
  dbSize: number;
  /** Logically in use (etcd_mvcc_db_total_size_in_use_in_bytes; 3.4+ metrics, 3.5+ endpoint status). */
  inUse?: number;
  quota: number;
  /** metrics: read from the member; default: etcd's 2 GiB assumed (metrics did not answer). */
  quotaFrom: 'metrics' | 'default';
  /** dbSize / quota, in percent. */
  usedPct: number;
  /** Share of the file that defragmentation would give back, in percent (needs inUse). */
  fragmentationPct?: number;
}

export interface Alarm {
  /** The member that raised it (by ID in the member list), else its hex ID. */
  member: string;
  alarm: string;
}

/** Reads the member's /metrics over its client URL with its TLS files (curl), keeping the three size gauges. */
export function metricsScript(m: ResolvedMember): Script {
  const tls = sh`--cacert ${m.tls.ca} --cert ${m.tls.cert} --key ${m.tls.key}`;
  return sh.join(
    [
      sh`command -v curl >/dev/null 2>&1 && curl -fsS --max-time 5 ${tls} ${`${m.clientURL}/metrics`}`,
      sh`2>/dev/null | grep -E -e '^etcd_cluster_version' -e`,
      sh`'^etcd_(server_quota_backend_bytes|mvcc_db_total_size_in_bytes|mvcc_db_total_size_in_use_in_bytes)`,
      sh`'`,
    ],
    ' ',
  );
}

export function parseMetrics(out: string): Record<string, number> {
  const r: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const m = /^(etcd_[a-z_]+) ([0-9.e+]+)$/.exec(line.trim());
    if (m?.[1] && m[2] && Number.isFinite(Number(m[2]))) r[m[1]] = Number(m[2]);
  }
  return r;
}

export function storageOf(member: string, dbSize: number, metrics: Record<string, number>): MemberStorage {
  const q = metrics.etcd_server_quota_backend_bytes;
  const quota = q && q > 0 ? q : DEFAULT_QUOTA;
  const size = metrics.etcd_mvcc_db_total_size_in_bytes ?? dbSize;
  const inUse = metrics.etcd_mvcc_db_total_size_in_use_in_bytes;
  const s: MemberStorage = {
    member,
    dbSize: size,
    quota,
    quotaFrom: q && q > 0 ? 'metrics' : 'default',
    usedPct: Math.round((size / quota) * 1000) / 10,
  };
  if (inUse !== undefined) {
    s.inUse = inUse;
    s.fragmentationPct = size > 0 ? Math.round((1 - Math.min(inUse, size) / size) * 1000) / 10 : 0;
  }
  return s;
}

/** `etcdctl alarm list` lines ("memberID:123 alarm:NOSPACE"), deduplicated, named by the member list. */
export function parseAlarms(lines: string[], idToName: Map<string, string>): Alarm[] {
  const seen = new Map<string, Alarm>();
  for (const l of lines) {
    const m = /memberID:(\d+)\s+alarm:([A-Z_]+)/.exec(l);
    if (!m?.[1] || !m[2]) continue;
    const hex = BigInt(m[1]).toString(16);
    seen.set(`${hex}/${m[2]}`, { member: idToName.get(hex) ?? hex, alarm: m[2] });
  }
  return [...seen.values()].sort(
    (a, b) => a.member.localeCompare(b.member) || a.alarm.localeCompare(b.alarm),
  );
}

export const kib = (n: number) =>
  n >= 10 * 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(0)} MiB` : `${(n / 1024).toFixed(0)} KiB`;

/** Alarms and per-member space as the probe saw them (facts), for runbook decisions made at plan time. */
export function spaceFromFacts(
  facts: {
    members: Record<
      string,
      { alarms?: string[]; metrics?: Record<string, number>; status?: { memberId: string; dbSize: number } }
    >;
  },
  names: string[],
  memberList: Array<{ id: string; name: string }> = [],
): { alarms: Alarm[]; storage: MemberStorage[] } {
  const ids = new Map(memberList.map((m) => [m.id, m.name]));
  for (const n of names) {
    const id = facts.members[n]?.status?.memberId;
    if (id && !ids.has(id)) ids.set(id, n);
  }
  const alarms = parseAlarms(
    names.flatMap((n) => facts.members[n]?.alarms ?? []),
    ids,
  );
  const storage = names.flatMap((n) => {
    const f = facts.members[n];
    return f?.status ? [storageOf(n, f.status.dbSize, f.metrics ?? {})] : [];
  });
  return { alarms, storage };
}
