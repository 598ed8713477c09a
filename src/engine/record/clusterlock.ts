// One run at a time per cluster: a lock directory on the first reachable member, naming its holder.
import { refused } from '../../errors/error.js';
import type { Executor } from '../../shell/executor.js';
import type { Inventory } from '../../inventory/resolve.js';
import type { Facts } from '../../etcd/facts.js';
import { sh } from '../../shell/sh.js';

export interface LockHolder {
  runId: string;
  operator: string;
  host: string;
  dir: string;
}

const lockDir = (backupDir: string) => `${backupDir}/.lifeboat-lock`;

/** A run's per-host script locks (one empty file per member), in a 0700 folder beside the cluster lock. */
export const hostLockDir = (backupDir: string, runId: string) => `${backupDir}/.lifeboat-hostlocks-${runId}`;

/** Takes (or re-takes, for the same run) the cluster lock; returns where it lives. */
export async function acquireClusterLock(
  inv: Inventory,
  facts: Facts,
  ex: Executor,
  me: LockHolder,
): Promise<{ member: string; path: string }> {
  const m = inv.members.find((x) => facts.members[x.name]?.reachable !== false);
  if (!m)
    throw refused(
      `no member of ${inv.cluster} is reachable to hold the run lock`,
      'check SSH to the members',
    );
  const dir = lockDir(m.backupDir);
  const holder = JSON.stringify(me);
  const script = sh.lines(
    sh`mkdir -p ${m.backupDir}`,
    sh`if mkdir ${dir} 2>/dev/null; then printf '%s' ${holder} >${dir + '/holder'}; echo acquired; exit 0; fi`,
    sh`cat ${dir + '/holder'} 2>/dev/null; echo; exit 3`,
  );
  const r = await ex.exec(m.name, script.text, { timeoutMs: 30_000 });
  if (r.exitCode === 0) return { member: m.name, path: dir };
  let other: Partial<LockHolder> = {};
  try {
    other = JSON.parse(r.stdout.trim()) as Partial<LockHolder>;
  } catch {
    // An unreadable holder file still means the lock is held.
  }
  if (other.runId === me.runId) return { member: m.name, path: dir };
  throw refused(
    `cluster ${inv.cluster} is locked by run ${other.runId ?? 'unknown'} of ` +
      `${other.operator ?? 'unknown'} on ${other.host ?? 'unknown'} (${m.name}:${dir})`,
    `finish it with 'lifeboat resume ${other.dir ?? 'RUN_DIR'}', or if that run is gone move ${dir} aside on ${m.name}`,
  );
}

/** Releases the lock by moving it aside (nothing on a host is deleted). */
export async function releaseClusterLock(
  ex: Executor,
  where: { member: string; path: string },
  runId: string,
): Promise<void> {
  const p = where.path;
  await ex.exec(
    where.member,
    sh`grep -qF ${runId} ${`${p}/holder`} 2>/dev/null && mv ${p} ${`${p}.released-${runId}`} || true`.text,
    { timeoutMs: 30_000 },
  );
}

/**
 * Removes the run's host lock folders once it has ended: only the empty lock files it made, by name (no data), and
 * only from a folder of the user running it. A member that does not answer keeps its folder; nothing else changes.
 */
export async function removeHostLocks(inv: Inventory, ex: Executor, runId: string): Promise<void> {
  await Promise.all(
    inv.members.map(async (m) => {
      const dir = hostLockDir(m.backupDir, runId);
      const files = inv.members.map((x) => `${dir}/${x.name}.lock`);
      const script = sh`
        if [ -d ${dir} ] && [ ! -L ${dir} ] && [ -O ${dir} ]; then
          rm -f -- ${files} && rmdir ${dir} 2>/dev/null
        fi
        exit 0`;
      try {
        await ex.exec(m.name, script.text, { timeoutMs: 15_000 });
      } catch {
        // Unreachable now: the empty folder stays; it holds nothing.
      }
    }),
  );
}
