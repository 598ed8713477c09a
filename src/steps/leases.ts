// After an address change or a restore: API server leases of addresses no longer in the inventory are removed; the live
// API servers then rebuild the `kubernetes` Endpoints from the leases that remain.
import { LEASES, stackedApiservers } from '../engine/leases.js';
import { shq } from '../engine/tools.js';
import type { HostCtx, StepDef } from '../engine/types.js';

/** Lease keys under /registry/masterleases/ whose address is no member's, one a line (empty: none). */
const staleKeys = (c: HostCtx) => {
  const known = c.inventory.members.map((m) => m.address).join(' ');
  return `${c.tools.etcdctl(`get ${LEASES} --prefix --keys-only --command-timeout=5s`)} | awk -v p=${shq(LEASES)} -v known=${shq(known)} 'BEGIN { n = split(known, k, " "); for (i = 1; i <= n; i++) ok[p k[i]] = 1 } index($0, p) == 1 && !($0 in ok)'`;
};

export function staleLeasesStep(): StepDef {
  return {
    id: 'stale-leases',
    title: 'Remove API server leases (/registry/masterleases/) of addresses no longer in the inventory',
    targets: {
      kind: 'pick',
      members: (c) => (stackedApiservers(c.inventory) ? [c.inventory.members[0]!.name] : []),
      describe: 'first member (stacked API servers only)',
    },
    actions: (c) => [
      {
        kind: 'sh',
        script: [
          'set -e',
          `keys=$(${staleKeys(c)})`,
          'if [ -z "$keys" ]; then echo "no stale leases"; exit 0; fi',
          `printf '%s\\n' "$keys" | while IFS= read -r k; do ${c.tools.etcdctl('del "$k"')} >/dev/null && printf 'removed stale lease %s\\n' "$k"; done`,
        ].join('\n'),
      },
    ],
    check: (c) => `[ -z "$(${staleKeys(c)})" ]`,
    retries: 2,
    hint: 'list them with etcdctl get /registry/masterleases/ --prefix --keys-only and remove the ones of dead addresses',
  };
}
