// Read-only cluster checks shared by runbooks: health, member list, consistency.
import type { HostCtx, StepDef, Verify } from '../engine/types.js';
import { sh, type Script } from '../shell/sh.js';

/** Waits until this member answers `endpoint health` (a condition with a deadline). */
export const healthy = (c: HostCtx, waitMs = 60_000): Verify<Script> => ({
  script: c.tools.etcdctl(sh`--command-timeout=3s endpoint health`),
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

export function clusterCheckScript(c: HostCtx): Script {
  const eps = allEndpoints(c);
  const names = c.inventory.members
    .map((m) => m.name)
    .sort()
    .join(' ');
  const ctl = (args: Script, endpoints?: string) => c.tools.etcdctl(args, endpoints);
  return sh.lines(
    sh`set -e`,
    ctl(sh`--command-timeout=5s endpoint health`, eps),
    sh`got=$(${ctl(sh`member list -w simple`, eps)} | awk -F', ' '{print $3}' | sort | tr '\\n' ' ' | sed 's/ $//')`,
    sh`[ "$got" = ${names} ] || { printf "member list is '%s', inventory says '%s'\\n" "$got" ${names} >&2; exit 1; }`,
    sh.join(
      [
        sh`${ctl(sh`member list -w simple`, eps)} | grep -q ', unstarted,'`,
        sh`{ echo 'a member is unstarted' >&2; exit 1; } || true`,
      ],
      ' && ',
    ),
    sh`rev=$(${ctl(sh`endpoint status -w json`)} | grep -o '"revision":[0-9]*' | head -n1 | cut -d: -f2)`,
    sh`hashes=$(${ctl(sh`endpoint hashkv --rev=$rev -w json`, eps)} | grep -o '"hash":[0-9]*' | sort -u | wc -l)`,
    sh`[ "$hashes" = 1 ] || { echo "hashkv differs between members at revision $rev" >&2; exit 1; }`,
    sh`echo "cluster healthy; hashkv equal at revision $rev"`,
  );
}
