// Endpoints and EndpointSlices that still name old addresses after a move or a restore onto new machines: the
// `kubernetes` ones in default (the API servers' lease reconciler rebuilds them from /registry/masterleases/) and any
// other (a hostNetwork Service of the control plane: kube-controller-manager rebuilds them from the live pods).
import { sh } from '../shell/sh.js';
import type { Executor } from '../shell/executor.js';
import type { Inventory } from '../inventory/resolve.js';
import { decodeStoredValue, objectOf } from '../k8s/value.js';
import type { Facts } from './facts.js';
import { LEASES, stackedApiservers } from './leases.js';
import { makeTools } from './tools.js';

export const ENDPOINTS = '/registry/services/endpoints/';
export const SLICES = '/registry/endpointslices/';
export const KUBERNETES_OBJECTS = [`${ENDPOINTS}default/kubernetes`, `${SLICES}default/kubernetes`];

export interface StaleEndpoints {
  key: string;
  /** The addresses it names that are old ones. */
  stale: string[];
  /** What rebuilds it, or the command that makes its owner rebuild it. */
  fix: string;
}

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/**
 * Every IP an Endpoints (subsets[].addresses/notReadyAddresses[].ip) or EndpointSlice
 * (endpoints[].addresses[]) names.
 */
export function addressesOf(obj: Obj): string[] {
  const ep = list(obj.subsets).flatMap((s) =>
    [...list(s.addresses), ...list(s.notReadyAddresses)].map((a) => String(a.ip)),
  );
  const slice = list(obj.endpoints).flatMap((e) =>
    Array.isArray(e.addresses) ? e.addresses.map(String) : [],
  );
  return [...new Set([...ep, ...slice])];
}

/** The planned fix for one object: the kubernetes ones are the API servers', the rest the controller-manager's. */
function fixFor(key: string): string {
  if (KUBERNETES_OBJECTS.includes(key))
    return (
      'the live API servers rebuild it from /registry/masterleases/ once the stale leases are ' +
      'removed (the readdress and restore runbooks remove them)'
    );
  const isSlice = key.startsWith(SLICES);
  const [ns = '', name = ''] = key.slice((isSlice ? SLICES : ENDPOINTS).length).split('/');
  const kind = isSlice ? 'endpointslice' : 'endpoints';
  return (
    `kube-controller-manager rebuilds it from the Service's live pods: ` +
    `${sh`kubectl -n ${ns} delete ${kind} ${name}`}`
  );
}

/**
 * Objects naming an old address. Old: a member's previousAddress or a lease's address that is no member's; for the
 * kubernetes objects (stacked API servers) any address that is no member's.
 */
export function findStale(
  inv: Inventory,
  kvs: Array<{ key: string; value: Buffer }>,
  leaseAddresses: string[],
): StaleEndpoints[] {
  const members = new Set(inv.members.map((m) => m.address));
  const old = new Set([
    ...inv.members.flatMap((m) => (m.previousAddress ? [m.previousAddress] : [])),
    ...leaseAddresses.filter((a) => !members.has(a)),
  ]);
  const out: StaleEndpoints[] = [];
  for (const { key, value } of kvs) {
    const obj = objectOf(decodeStoredValue(value, { key }));
    if (!obj) continue;
    const own = KUBERNETES_OBJECTS.includes(key) && stackedApiservers(inv);
    const stale = addressesOf(obj).filter((a) => (own ? !members.has(a) : old.has(a)));
    if (stale.length) out.push({ key, stale, fix: fixFor(key) });
  }
  return out;
}

/** Reads both prefixes (and the lease keys) through the first healthy member; empty when none answers. */
export async function staleEndpoints(inv: Inventory, facts: Facts, ex: Executor): Promise<StaleEndpoints[]> {
  const m = inv.members.find((x) => facts.members[x.name]?.healthy);
  if (!m) return [];
  const t = makeTools(m, facts.members[m.name]);
  const get = (prefix: string) => t.etcdctl(sh`get ${prefix} --prefix -w json --command-timeout=10s`);
  try {
    const r = await ex.exec(
      m.name,
      sh.lines(sh`${get(ENDPOINTS)}; echo`, sh`${get(SLICES)}; echo`, sh`${get(LEASES)}`).text,
      { timeoutMs: 60_000 },
    );
    const kvs: Array<{ key: string; value: Buffer }> = [];
    for (const line of r.stdout.split('\n').filter((l) => l.trim().startsWith('{'))) {
      const doc = JSON.parse(line) as { kvs?: Array<{ key: string; value?: string }> };
      for (const kv of doc.kvs ?? [])
        kvs.push({
          key: Buffer.from(kv.key, 'base64').toString(),
          value: Buffer.from(kv.value ?? '', 'base64'),
        });
    }
    const leases = kvs.filter((k) => k.key.startsWith(LEASES)).map((k) => k.key.slice(LEASES.length));
    return findStale(
      inv,
      kvs.filter((k) => !k.key.startsWith(LEASES)),
      leases,
    );
  } catch {
    return [];
  }
}
