// An approval that waited long is re-checked: the plan was made for the cluster as it was when the question was asked.
import type { Facts } from '../etcd/facts.js';

/** Waits shorter than this are not re-probed: nothing an operator decides in minutes goes stale. */
export const STALE_AFTER_MS = 10 * 60_000;

function fingerprint(f: Facts): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, m] of Object.entries(f.members)) {
    out.set(`${name}: reachable`, String(m.reachable));
    if (!m.reachable) continue;
    out.set(`${name}: etcd running`, String(m.etcdUp ?? false));
    out.set(`${name}: healthy`, String(m.healthy ?? false));
    out.set(`${name}: data dir`, m.dataDirExists ? 'present' : 'absent');
    if (m.etcdVersion) out.set(`${name}: etcd version`, m.etcdVersion);
    if (m.status) out.set(`${name}: member id`, m.status.memberId);
    if (m.status) out.set(`${name}: learner`, String(m.status.isLearner));
  }
  const list = (f.memberList ?? []).map((m) => `${m.name || '(unstarted)'}=${m.peerURLs.join(',')}`).sort();
  if (f.memberList) out.set('member list', list.join(' ') || '(empty)');
  return out;
}

/** What differs between two probes, one phrase each ("cp-2: etcd running true -> false"); empty when nothing does. */
export function factsDrift(before: Facts, after: Facts): string[] {
  const a = fingerprint(before);
  const b = fingerprint(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => `${k} ${a.get(k) ?? '(unknown)'} -> ${b.get(k) ?? '(unknown)'}`);
}

export interface WaitWatch {
  /** After the answer: what changed on the hosts while the question was open (empty when it was answered soon). */
  drift(): Promise<string[]>;
}

/** Probes the hosts as the question opens (in the background) and again after a long wait. */
export function watchWhileAsking(probe: (() => Promise<Facts>) | undefined, now: () => number): WaitWatch {
  const asked = now();
  const before = probe?.().catch(() => undefined);
  return {
    async drift() {
      if (!probe || now() - asked < STALE_AFTER_MS) return [];
      const [then, later] = await Promise.all([before, probe().catch(() => undefined)]);
      if (!then || !later) return ['the hosts could not be probed again after the wait'];
      return factsDrift(then, later);
    },
  };
}
