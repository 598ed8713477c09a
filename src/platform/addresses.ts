// Where each topology keeps the addresses a moved member's configuration names (issue 13, readdress): the files or
// container arguments to rewrite, how to read an etcd flag, which API server serving cert carries the host's address,
// and what restarts after the rewrite. static-pod: both manifests (live or parked); systemd: etcd.conf; k3s-external:
// etcd.conf and the k3s unit; docker: the etcd and kube-apiserver containers' arguments (recreated, old ones kept).
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
import type { Topology } from '../inventory/schema.js';
import { APISERVER_CONTAINER, ETCD_CONTAINER, recreateContainer } from './docker.js';
import { K3S_UNIT, k3sUnitFile } from './k3s.js';

export type AddressPair = readonly [from: string, to: string];

/** A serving cert of the host's API server (or k3s) that names the host's address, and the CA that signs it. */
export interface ServingCert {
  cert: string;
  key: string;
  ca: string;
  caKey: string;
}

const dots = (a: string) => a.replace(/\./g, '\\.');

/** sed -e arguments replacing each old address wherever it stands as an address (after / = : ' space or comma; before
 *  : " ' , space or end). Twice: a match consumes the separator the next one needs ("OLD,OLD"). */
export function swapExprs(pairs: readonly AddressPair[]): Script {
  const one = ([from, to]: AddressPair) => `s#\\([/=:,' ]\\)${dots(from)}\\([:",' ]\\|$\\)#\\1${to}\\2#g`;
  return sh.join(
    pairs.flatMap((p) => [sh`-e ${one(p)}`, sh`-e ${one(p)}`]),
    ' ',
  );
}

/** grep -E pattern matching an old address as a URL host. */
const urlPattern = (olds: readonly string[]) => olds.map((o) => `//${dots(o)}:`).join('|');

/** Where a static pod manifest is while the runbook has it parked (etcd or the API server stopped). */
const parkedToo = (f: string) => [
  f,
  `${dirname(dirname(f))}/manifests-stopped-by-lifeboat/${f.split('/').pop()}`,
];

/** Shell words, one per config file of this host that may name addresses (a word may be empty: no such file). */
function configFiles(m: ResolvedMember, t: Topology): Script[] {
  if (t === 'static-pod')
    return [...parkedToo(m.manifest), ...parkedToo(m.apiserverManifest)].map((f) => sh`${f}`);
  if (t === 'k3s-external') return [sh`${m.config}`, sh`"$(${k3sUnitFile} 2>/dev/null)"`];
  return [sh`${m.config}`];
}

/** Where the copies from before the rewrite are kept. */
const keptIn = (m: ResolvedMember, t: Topology) =>
  t === 'static-pod'
    ? `${dirname(dirname(m.manifest))}/lifeboat-backup`
    : t === 'docker'
      ? `${m.backupDir}/lifeboat-docker`
      : `${dirname(m.config)}/lifeboat-backup`;

const dockerArgs = (c: string) =>
  sh`docker inspect -f '{{range .Args}}{{println .}}{{end}}' ${c} 2>/dev/null`;

/** Shell function `v FLAG` printing a flag's value from this member's etcd configuration. */
export function etcdFlagReader(m: ResolvedMember, t: Topology): Script {
  if (t === 'static-pod') {
    const [live, parked] = parkedToo(m.manifest);
    return sh`v() { f=${live!}; [ -f "$f" ] || f=${parked!}; sed -n "s/^ *- --$1=//p" "$f" | head -n1; }`;
  }
  if (t === 'docker') return sh`v() { ${dockerArgs(ETCD_CONTAINER)} | sed -n "s/^--$1=//p" | head -n1; }`;
  return sh`v() { k=ETCD_$(echo "$1" | tr a-z- A-Z_); sed -n "s/^$k=//p" ${m.config} | tr -d '"' | head -n1; }`;
}

/** Shell setting $cak from $ca: the CA key beside it (kubeadm ca.key, RKE kube-ca-key.pem, openshift-ansible's ca/). */
export const caKeyFinder = sh.lines(
  sh.join(
    [
      sh`cak=; for k in "\${ca%.crt}.key" "\${ca%.pem}-key.pem" "$(dirname "$ca")/ca/ca.key"`,
      sh`do [ "$k" != "$ca" ] && [ -f "$k" ] && { cak="$k"; break; }; done`,
    ],
    '; ',
  ),
  sh.join(
    [
      sh`[ -n "$cak" ] || { echo "no key of the CA $ca on this host (looked for \${ca%.crt}.key,`,
      sh`\${ca%.pem}-key.pem, $(dirname "$ca")/ca/ca.key)" >&2; exit 1; }`,
    ],
    ' ',
  ),
);

/** The API server's serving cert that names the host's address (systemd: no API server of ours). */
export function servingCerts(m: ResolvedMember, t: Topology): ServingCert[] {
  if (t === 'static-pod') {
    const pki = `${dirname(dirname(m.apiserverManifest))}/pki`;
    return [
      {
        cert: `${pki}/apiserver.crt`,
        key: `${pki}/apiserver.key`,
        ca: `${pki}/ca.crt`,
        caKey: `${pki}/ca.key`,
      },
    ];
  }
  if (t === 'k3s-external') {
    // k3s's own server CA signs its serving cert (k3s would regenerate it too; done here so it is there at restart).
    const tls = '/var/lib/rancher/k3s/server/tls';
    return [
      {
        cert: `${tls}/serving-kube-apiserver.crt`,
        key: `${tls}/serving-kube-apiserver.key`,
        ca: `${tls}/server-ca.crt`,
        caKey: `${tls}/server-ca.key`,
      },
    ];
  }
  if (t === 'docker') {
    const ssl = dirname(m.tls.ca);
    return [
      {
        cert: `${ssl}/kube-apiserver.pem`,
        key: `${ssl}/kube-apiserver-key.pem`,
        ca: m.tls.ca,
        caKey: `${ssl}/${m.tls.ca
          .split('/')
          .pop()!
          .replace(/\.pem$/, '')}-key.pem`,
      },
    ];
  }
  return [];
}

/** Files: rewritten in a copy renamed in (the kubelet never reads a half-written manifest), the original kept first. */
function swapFiles(m: ResolvedMember, t: Topology, stamp: string, pairs: readonly AddressPair[]): Script {
  const saved = keptIn(m, t);
  return sh.lines(
    sh`mkdir -p ${saved}`,
    ...configFiles(m, t).map((f) =>
      sh.lines(
        sh`f=${f}`,
        sh`if [ -n "$f" ] && [ -f "$f" ]; then`,
        sh`  b=${saved}/"$(basename "$f")".before-${stamp}; [ -e "$b" ] || cp -p "$f" "$b"`,
        sh`  t="$(dirname "$f")/.lifeboat-"${stamp}; cp -p "$f" "$t"; sed -i ${swapExprs(pairs)} "$t"`,
        sh.join(
          [
            sh`  if cmp -s "$f" "$t"; then rm -f "$t"; echo "$f names no old address"`,
            sh`else mv "$t" "$f"; echo "$f: old addresses replaced (old kept as $b)"; fi`,
          ],
          '; ',
        ),
        sh`fi`,
      ),
    ),
  );
}

/**
 * This host's own configuration names the new addresses wherever it named an old one (listen, advertise, initial
 * cluster, metrics, probes, --etcd-servers, k3s --datastore-endpoint/--advertise-address). restart: etcd (and k3s)
 * restarted on the new config (static pods restart on the manifest edit); without it nothing is started.
 */
export function swapAddresses(
  m: ResolvedMember,
  t: Topology,
  stamp: string,
  pairs: readonly AddressPair[],
  restart: boolean,
): Script {
  if (t === 'docker') {
    const edit = sh`sed ${swapExprs(pairs)}`;
    const kept = keptIn(m, t);
    return sh.lines(
      sh`(`,
      recreateContainer(ETCD_CONTAINER, edit, stamp, kept, restart ? 'always' : 'never', sh`true`),
      sh`) || exit 1`,
      sh`if docker inspect -f '{{.Id}}' ${APISERVER_CONTAINER} >/dev/null 2>&1; then (`,
      recreateContainer(APISERVER_CONTAINER, edit, stamp, kept, restart ? 'was' : 'never', sh`true`),
      sh`) || exit 1; fi`,
    );
  }
  const files = swapFiles(m, t, stamp, pairs);
  if (t === 'static-pod') return files;
  // Reloaded even when nothing restarts: a later `systemctl start` must run the edited units.
  if (!restart) return sh.lines(files, sh`systemctl daemon-reload`);
  return sh.lines(
    files,
    sh`systemctl daemon-reload && systemctl restart etcd`,
    t === 'k3s-external' &&
      sh`if systemctl cat ${K3S_UNIT} >/dev/null 2>&1; then systemctl restart ${K3S_UNIT}; fi`,
  );
}

/** Exit 0 when this host's configuration names none of these old addresses as a URL host. */
export function namesNoOldAddress(m: ResolvedMember, t: Topology, olds: readonly string[]): Script {
  const text =
    t === 'docker'
      ? sh`{ ${dockerArgs(ETCD_CONTAINER)}; ${dockerArgs(APISERVER_CONTAINER)}; }`
      : sh`for f in ${sh.join(configFiles(m, t), ' ')}; do [ -n "$f" ] && [ -f "$f" ] && cat "$f"; done`;
  return sh`! ${text} | grep -qE ${urlPattern(olds)}`;
}
