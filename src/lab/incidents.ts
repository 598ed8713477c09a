// Incidents operators hit in the field, made with real etcd: a small backend quota set at lab up, then
// filled (NOSPACE).
import { usage, refused } from '../errors/error.js';
import { EtcdClient } from './grpc.js';
import type { BreakResult, Lab, LabMode } from './types.js';

/** Smallest quota the lab accepts: room for the seeded objects (~0.5 MiB) and some history. */
export const MIN_QUOTA = 2 * 1024 * 1024;

export function checkQuota(bytes: number | undefined, mode: LabMode): void {
  if (bytes === undefined) return;
  if (!Number.isInteger(bytes) || bytes < MIN_QUOTA)
    throw usage(
      `lab: --quota-bytes ${bytes} is not a whole number >= ${MIN_QUOTA}`,
      'use e.g. --quota-bytes 4194304',
    );
  if (mode === 'docker')
    throw usage(
      'lab: --quota-bytes is not available in docker mode yet',
      'use static-pod, systemd or k3s-external',
    );
}

/** The etcd manifest with --quota-backend-bytes added to etcd's command (kubeadm's extraArgs would put it there). */
export const manifestWithQuota = (yaml: string, bytes: number | undefined) =>
  bytes === undefined ? yaml : yaml.replace(/^( {4}- etcd\n)/m, `$1    - --quota-backend-bytes=${bytes}\n`);

/** etcd.conf with ETCD_QUOTA_BACKEND_BYTES (OpenShift's etcd.conf carries it the same way). */
export const confWithQuota = (conf: string, bytes: number | undefined) =>
  bytes === undefined ? conf : `${conf.trimEnd()}\nETCD_QUOTA_BACKEND_BYTES=${bytes}\n`;

const isNoSpace = (err: unknown) => /database space exceeded|NOSPACE/i.test((err as Error).message ?? '');

/**
 * Writes many revisions of a few keys (a hot key's history: what compaction frees) through the leader's client URL
 * until etcd refuses a put with "database space exceeded" and raises the NOSPACE alarm. With `live`, every put is a
 * key of its own (fill-quota-live): live data alone fills the quota, so only a larger quota makes etcd writable.
 */
export async function fillQuota(lab: Lab, actions: string[], live = false, from = 0): Promise<BreakResult> {
  const scenario = live ? 'fill-quota-live' : 'fill-quota';
  if (!lab.quotaBytes)
    throw refused(
      `lab break ${scenario}: this lab has the default 2 GiB quota`,
      "bring the lab up with 'lifeboat lab up --quota-bytes 4194304'",
    );
  const value = Buffer.alloc(64 * 1024, 'x');
  const limit = Math.ceil((lab.quotaBytes * 4) / value.length);
  let lastErr: Error | undefined;
  for (const m of lab.members) {
    const c = new EtcdClient(m.clientURL, lab.client);
    try {
      for (let i = 0; i < limit; i++) {
        value.write(String(i).padStart(8, '0'), 0);
        try {
          const key = live ? `/lifeboat-lab/live/key-${from + i}` : `/lifeboat-lab/hot/key-${i % 4}`;
          await c.put(key, value, 10_000);
        } catch (err) {
          if (!isNoSpace(err)) throw err;
          actions.push(
            `${i} puts of 64 KiB to ${live ? `${i} keys` : '4 keys'} through ${m.name}: etcd ` +
              `answered '${(err as Error).message}'`,
          );
          return { scenario, members: lab.members.map((x) => x.name), actions };
        }
      }
      throw new Error(
        `lab break ${scenario}: ${limit} puts and still no NOSPACE (quota ${lab.quotaBytes} bytes)`,
      );
    } catch (err) {
      lastErr = err as Error;
      if (/still no NOSPACE/.test(lastErr.message)) throw lastErr;
    } finally {
      c.close();
    }
  }
  throw new Error(`lab break ${scenario}: no member accepted the puts: ${lastErr?.message ?? ''}`);
}

/** Live data share the lab makes fill-quota-live reach: far enough above free-space's 80 % to raise the quota. */
const LIVE_SHARE = 0.9;

/**
 * fill-quota-live: distinct keys until NOSPACE; then, while the db compacted and defragmented on every member (what
 * free-space does first) is under 90 % of the quota, disarm and fill again. The last fill leaves NOSPACE raised.
 */
export async function fillQuotaLive(lab: Lab, actions: string[]): Promise<BreakResult> {
  let from = 0;
  for (let round = 1; round <= 6; round++) {
    await fillQuota(lab, actions, true, from);
    from += 100_000;
    const size = await compactAndDefrag(lab);
    actions.push(`round ${round}: compacted and defragmented every member: largest db ${size} bytes`);
    await disarmNoSpace(lab);
    if (size > lab.quotaBytes! * LIVE_SHARE) {
      await fillQuota(lab, actions, true, from);
      return { scenario: 'fill-quota-live', members: lab.members.map((x) => x.name), actions };
    }
  }
  throw new Error(`lab break fill-quota-live: live data stays under ${LIVE_SHARE * 100} % of the quota`);
}

async function compactAndDefrag(lab: Lab): Promise<number> {
  let largest = 0;
  await withMember(lab, lab.members[0]!.clientURL, async (c) => c.compact((await c.status(5000)).revision));
  for (const m of lab.members)
    await withMember(lab, m.clientURL, async (c) => {
      await c.defragment(60_000);
      largest = Math.max(largest, (await c.status(5000)).dbSize);
    });
  return largest;
}

async function disarmNoSpace(lab: Lab): Promise<void> {
  for (const m of lab.members)
    await withMember(lab, m.clientURL, async (c) =>
      c.alarmDeactivate((await c.status(5000)).memberId, 'NOSPACE'),
    );
}

async function withMember(lab: Lab, url: string, fn: (c: EtcdClient) => Promise<void>): Promise<void> {
  const c = new EtcdClient(url, lab.client);
  try {
    await fn(c);
  } finally {
    c.close();
  }
}

/**
 * Raises the CORRUPT alarm for a member through the Maintenance API, as etcd's corruption check
 * (--experimental-corrupt-check-time) does when that member's hash differs at the same revision: the cluster then
 * refuses writes until `etcdctl alarm disarm`. Pair it with diverge-member for the data that check would have found.
 */
export async function corruptAlarm(lab: Lab, name: string, actions: string[]): Promise<BreakResult> {
  const victim = lab.members.find((m) => m.name === name);
  if (!victim) throw usage(`lab break corrupt-alarm: no member ${name}`, 'name a member of this lab');
  // Asked of another member: the victim may be down (etcd 3.6+ refuses to start on divergent data).
  const other = lab.members.find((m) => m.name !== name) ?? victim;
  const c = new EtcdClient(other.clientURL, lab.client);
  try {
    const memberId = (await c.memberList(5000)).find((m) => m.name === name)?.id;
    if (memberId === undefined)
      throw usage(`lab break corrupt-alarm: ${name} is not in the member list`, 'pick a member');
    await c.alarmActivate(memberId, 'CORRUPT', 10_000);
    actions.push(
      `${name}: alarm CORRUPT raised for member ${memberId.toString(16)} (Maintenance/Alarm ACTIVATE)`,
    );
  } finally {
    c.close();
  }
  return { scenario: 'corrupt-alarm', members: [name], actions };
}
