// What starting and resuming share: who the operator is, the run's deps with the audit head anchored on the members,
// and the end of a run (the head anchored, the cluster lock released once the run has ended).
import { hostname, userInfo } from 'node:os';
import { verifyAudit } from '../engine/record/audit.js';
import { anchorWriter, type Anchored } from '../engine/record/anchor.js';
import { releaseClusterLock, removeHostLocks } from '../engine/record/clusterlock.js';
import { runFiles } from '../engine/record/rundir.js';
import type { EngineDeps } from '../engine/runner.js';
import type { RunStatus } from '../engine/events.js';
import type { Facts } from '../etcd/facts.js';
import type { Inventory } from '../inventory/resolve.js';
import { LifeboatError } from '../errors/error.js';

/** The one operator identity: the login user, the sudo caller behind it, and this machine. */
export function operatorIdentity(): { user: string; sudoUser?: string; host: string } {
  const sudo = process.env.SUDO_USER;
  return { user: userInfo().username, ...(sudo ? { sudoUser: sudo } : {}), host: hostname() };
}

/** The operator in words, as locks, approvals and skips record it. */
export function operatorName(): string {
  const id = operatorIdentity();
  return id.sudoUser ? `${id.user} (sudo by ${id.sudoUser})` : id.user;
}

/** The run's deps: its secrets redacted, and the audit head anchored on the members that answered the probe. */
export function anchoredDeps(
  deps: EngineDeps,
  inventory: Inventory,
  facts: Facts,
  runId: string,
  secrets: string[],
) {
  const anchors = anchorWriter(inventory, deps.executor, runId, (n) => facts.members[n]?.reachable === true);
  const withAnchor: EngineDeps = {
    ...deps,
    redactor: deps.redactor.with(secrets),
    anchor: (h) => anchors.write(h),
  };
  return { deps: withAnchor, anchors };
}

/**
 * Runs the engine, then anchors the final head on the members (also when the run stopped or failed) and releases
 * the cluster lock when the run has ended; a run that stopped keeps it for its resume.
 */
export async function runToEnd(o: {
  dir: string;
  runId: string;
  inventory: Inventory;
  anchors: ReturnType<typeof anchorWriter>;
  lock: { member: string; path: string };
  executor: EngineDeps['executor'];
  onAnchored: ((a: Anchored | undefined) => void) | undefined;
  go: () => Promise<RunStatus>;
}): Promise<RunStatus> {
  let status: RunStatus;
  try {
    status = await o.go();
  } finally {
    const v = verifyAudit(runFiles(o.dir).audit);
    if (v.ok) await o.anchors.write({ seq: v.entries, hash: v.head });
    o.onAnchored?.(o.anchors.last);
  }
  if (status === 'done' || status === 'refused' || status === 'aborted') {
    await removeHostLocks(o.inventory, o.executor, o.runId);
    await releaseClusterLock(o.executor, o.lock, o.runId);
  }
  return status;
}

/** Checked before the cluster lock is taken: an interrupt there leaves nothing to record and nothing changed. */
export function requireNotInterrupted(deps: EngineDeps, what: string, hint: string): void {
  const s = deps.interrupt;
  if (s?.aborted) throw new LifeboatError('interrupted', `${String(s.reason)} before ${what}`, { hint });
}
