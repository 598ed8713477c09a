// API server leases (--endpoint-reconciler-type=lease): /registry/masterleases/ADDRESS per live kube-apiserver. After a
// restore or a move, leases of addresses no longer in the inventory keep the `kubernetes` Endpoints
// naming dead servers.
import { sh } from '../shell/sh.js';
import type { Executor } from '../shell/executor.js';
import type { Inventory } from '../inventory/resolve.js';
import type { Facts } from './facts.js';
import { makeTools } from './tools.js';

export const LEASES = '/registry/masterleases/';

/** API servers run beside the members (stacked): only there do lease addresses equal member addresses. */
export const stackedApiservers = (inv: Inventory) =>
  inv.topology === 'static-pod' || inv.topology === 'docker';

/** Addresses holding a lease that are not a member's address, read through the first healthy member. */
export async function staleLeases(inv: Inventory, facts: Facts, ex: Executor): Promise<string[]> {
  if (!stackedApiservers(inv)) return [];
  const m = inv.members.find((x) => facts.members[x.name]?.healthy);
  if (!m) return [];
  const t = makeTools(m, facts.members[m.name]);
  try {
    const r = await ex.exec(
      m.name,
      t.etcdctl(sh`get ${LEASES} --prefix --keys-only --command-timeout=5s`).text,
      {
        timeoutMs: 30_000,
      },
    );
    const known = new Set(inv.members.map((x) => x.address));
    return r.stdout
      .split('\n')
      .filter((k) => k.startsWith(LEASES))
      .map((k) => k.slice(LEASES.length).trim())
      .filter((a) => a && !known.has(a));
  } catch {
    return [];
  }
}
