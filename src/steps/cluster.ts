// Read-only cluster checks shared by runbooks: health, member list, consistency.
import type { HostCtx, StepDef, Verify } from '../engine/types.js';
import { shq } from '../engine/tools.js';

/** Waits until this member answers `endpoint health` (a condition with a deadline). */
export const healthy = (c: HostCtx, waitMs = 60_000): Verify => ({
  script: c.tools.etcdctl('--command-timeout=3s endpoint health'),
  waitMs,
  intervalMs: 500,
});

export const allEndpoints = (c: HostCtx) => c.inventory.members.map((m) => m.clientURL).join(',');

/** Every member healthy, member list equal to the inventory, hashkv equal on all members at one revision. */
export function verifyClusterStep(id = 'verify-cluster'): StepDef {
  return {
    id,
    title: 'Verify: all members healthy, member list equals the inventory, hashkv equal everywhere',
    targets: {
      kind: 'pick',
      members: (c) => [c.inventory.members[0]!.name],
      describe: 'first member (checks the whole cluster)',
    },
    // No action: the verify runs the check, polling until it passes or the deadline.
    actions: () => [],
    verify: (c) => ({ script: clusterCheckScript(c), waitMs: 90_000, intervalMs: 1000 }),
    timeoutMs: 60_000,
    retries: 0,
    hint: "run 'lifeboat diagnose' to see which member disagrees",
  };
}

export function clusterCheckScript(c: HostCtx): string {
  const eps = allEndpoints(c);
  const names = c.inventory.members
    .map((m) => m.name)
    .sort()
    .join(' ');
  return [
    'set -e',
    `${c.tools.etcdctl('--command-timeout=5s endpoint health', eps)}`,
    `got=$(${c.tools.etcdctl('member list -w simple', eps)} | awk -F', ' '{print $3}' | sort | tr '\\n' ' ' | sed 's/ $//')`,
    `[ "$got" = ${shq(names)} ] || { echo "member list is '$got', inventory says '${names}'" >&2; exit 1; }`,
    `${c.tools.etcdctl('member list -w simple', eps)} | grep -q ', unstarted,' && { echo 'a member is unstarted' >&2; exit 1; } || true`,
    `rev=$(${c.tools.etcdctl('endpoint status -w json')} | grep -o '"revision":[0-9]*' | head -n1 | cut -d: -f2)`,
    `hashes=$(${c.tools.etcdctl('endpoint hashkv --rev=$rev -w json', eps)} | grep -o '"hash":[0-9]*' | sort -u | wc -l)`,
    `[ "$hashes" = 1 ] || { echo "hashkv differs between members at revision $rev" >&2; exit 1; }`,
    'echo "cluster healthy; hashkv equal at revision $rev"',
  ].join('\n');
}
