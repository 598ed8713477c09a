// After an address change or a restore: API server leases of addresses no longer in the inventory are removed; the live
// API servers then rebuild the `kubernetes` Endpoints from the leases that remain.
import { LEASES, stackedApiservers } from '../etcd/leases.js';
import { sh, type Script } from '../shell/sh.js';
import type { HostCtx, StepDef } from '../engine/types.js';

/** Lease keys under /registry/masterleases/ whose address is no member's, one a line (empty: none). */
const staleKeys = (c: HostCtx) => {
  const known = c.inventory.members.map((m) => m.address).join(' ');
  const keys = c.tools.etcdctl(sh`get ${LEASES} --prefix --keys-only --command-timeout=5s`);
  const prog =
    'BEGIN { n = split(known, k, " "); for (i = 1; i <= n; i++) ok[p k[i]] = 1 } ' +
    'index($0, p) == 1 && !($0 in ok)';
  return sh`${keys} | awk -v p=${LEASES} -v known=${known} ${prog}`;
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
        script: sh.lines(
          sh`set -e`,
          sh`keys=$(${staleKeys(c)})`,
          sh`if [ -z "$keys" ]; then echo "no stale leases"; exit 0; fi`,
          sh`printf '%s\\n' "$keys" | while IFS= read -r k; do`,
          sh`  ${c.tools.etcdctl(sh`del "$k"`)} >/dev/null && printf 'removed stale lease %s\\n' "$k"`,
          sh`done`,
        ),
      },
    ],
    check: (c) => sh`[ -z "$(${staleKeys(c)})" ]`,
    retries: 2,
    hint:
      'list them with etcdctl get /registry/masterleases/ --prefix --keys-only and remove the ones ' +
      'of dead addresses',
  };
}

const IPV4 = '[0-9]{1,3}([.][0-9]{1,3}){3}';
const KUBERNETES = [
  '/registry/services/endpoints/default/kubernetes',
  '/registry/endpointslices/default/kubernetes',
];

/** Exit 0 when the kubernetes Endpoints and EndpointSlice (where they exist) name only member addresses. */
const kubernetesClean = (c: HostCtx) => {
  const known = c.inventory.members.map((m) => m.address).join(' ');
  return sh.lines(
    sh`bad=; for k in ${KUBERNETES}; do`,
    sh.join(
      [
        sh`  for a in $(${c.tools.etcdctl(sh`get "$k" --print-value-only --command-timeout=5s`)}`,
        sh`grep -aoE ${IPV4} | sort -u); do`,
      ],
      ' | ',
    ),
    sh`    case " "${known}" " in *" $a "*) ;; *) bad="$bad $k:$a";; esac`,
    sh`  done`,
    sh`done`,
    sh`[ -z "$bad" ] || { echo "still naming old addresses:$bad" >&2; exit 1; }`,
    sh`echo "the kubernetes Endpoints and EndpointSlice name only member addresses"`,
  );
};

/** Other Endpoints/EndpointSlices naming a moved member's old address, each with the command that has it rebuilt. */
const otherStale = (c: HostCtx) => {
  const olds = c.inventory.members.flatMap((m) => (m.previousAddress ? [m.previousAddress] : []));
  if (!olds.length) return sh`echo "no previousAddress in the inventory: no other Endpoints to look at"`;
  const pattern = `(^|[^0-9.])(${olds.map((o) => o.replace(/\./g, '[.]')).join('|')})([^0-9.]|$)`;
  const get = (k: Script) => c.tools.etcdctl(sh`get ${k} --print-value-only --command-timeout=5s`);
  return sh.lines(
    sh`n=0; for p in /registry/services/endpoints/ /registry/endpointslices/; do`,
    sh`  for k in $(${c.tools.etcdctl(sh`get "$p" --prefix --keys-only --command-timeout=10s`)}); do`,
    sh`    case "$k" in */default/kubernetes) continue;; esac`,
    sh.join(
      [
        sh`    if ${get(sh.raw('"$k"'))} | grep -aqE ${pattern}; then n=$((n+1)); r=\${k#"$p"}`,
        sh`ns=\${r%%/*}; name=\${r#*/}`,
      ],
      '; ',
    ),
    sh`      kind=endpointslice; [ "$p" = /registry/endpointslices/ ] || kind=endpoints`,
    sh.join(
      [
        sh`      echo "planned: $k names an old address; kube-controller-manager rebuilds it from the`,
        sh`Service's live pods: kubectl -n $ns delete $kind $name"; fi`,
      ],
      ' ',
    ),
    sh`  done`,
    sh`done`,
    sh`[ $n = 0 ] && echo "no other Endpoints or EndpointSlice names an old address"; true`,
  );
};

/** After the stale leases are gone: the API servers' kubernetes objects rebuilt; others naming old addresses listed. */
export function staleEndpointsStep(): StepDef {
  return {
    id: 'stale-endpoints',
    title:
      'The kubernetes Endpoints/EndpointSlice name only the live API servers; other Endpoints ' +
      'naming old addresses listed with their fix',
    targets: {
      kind: 'pick',
      members: (c) => (stackedApiservers(c.inventory) ? [c.inventory.members[0]!.name] : []),
      describe: 'first member (stacked API servers only)',
    },
    actions: (c) => [{ kind: 'sh', script: otherStale(c) }],
    // The API servers reconcile every 10 s (lease TTL 15 s): rebuilt within a minute of the stale leases' removal.
    verify: (c) => ({ script: kubernetesClean(c), waitMs: 90_000, intervalMs: 2000 }),
    hint:
      'an API server that does not run --endpoint-reconciler-type=lease leaves them: kubectl -n ' +
      'default get endpoints,endpointslices kubernetes -o yaml',
  };
}
