// Certificate renewal (issue 12): etcd's server, peer and client certificates re-issued from the CA on the host, then
// each member restarted in turn so it serves the new ones.
import { dirname } from 'node:path';
import type { HostCtx, StepDef, Targets } from '../engine/types.js';
import { sh, type Script } from '../shell/sh.js';
import { healthy } from './cluster.js';
import { keptFolder, renewFromVars } from './certs.js';
import { caKeyFinder, etcdFlagReader } from '../platform/addresses.js';
import { etcdClientFlagReader } from '../platform/clientcerts.js';

export const certDays = (c: HostCtx) => Number(c.params.days ?? 365);
export const withinDays = (c: HostCtx) => Number(c.params.within ?? 30);

/** kubeadm's names for the certs `kubeadm certs renew` knows, by their path under the host's pki folder. */
export const KUBEADM_CERTS: ReadonlyArray<readonly [path: string, name: string]> = [
  ['etcd/server.crt', 'etcd-server'],
  ['etcd/peer.crt', 'etcd-peer'],
  ['etcd/healthcheck-client.crt', 'etcd-healthcheck-client'],
  ['apiserver-etcd-client.crt', 'apiserver-etcd-client'],
];

/** The host's kubeadm pki folder (beside the manifests folder). */
const pkiOf = (c: HostCtx) => `${dirname(dirname(c.member.manifest))}/pki`;

/** Sets $kk to kubeadm's name for $crt when it is one of kubeadm's own files (static-pod), else empty. */
function kubeadmName(c: HostCtx): Script {
  if (c.inventory.topology !== 'static-pod') return sh`kk=`;
  const pki = pkiOf(c);
  const arms = KUBEADM_CERTS.map(([p, n]) => sh`${`${pki}/${p}`}) kk=${n};;`);
  return sh`kdir=${pki}; kk=; case "$crt" in ${sh.join(arms, ' ')} esac`;
}

/** Shell function `renew`: one cert renewed in a subshell from $crt $key $ca $to (set by the caller). Called as a
 *  plain command, never after || or &&: there set -e would be off inside it. */
function renewFunction(c: HostCtx): Script {
  return sh.lines(
    sh`renew() (`,
    sh`from=''`,
    caKeyFinder,
    kubeadmName(c),
    renewFromVars({ stamp: c.stamp, days: certDays(c), withinDays: withinDays(c) }),
    sh`)`,
  );
}

/** The member's own certs (paths from its etcd flags), kubeadm's healthcheck-client beside the CA, and the etcd client
 *  cert its API server (or k3s) is configured with. */
export function renewScript(c: HostCtx): Script {
  const t = c.inventory.topology;
  const ip = c.member.address;
  const client = etcdClientFlagReader(c.member, t);
  return sh.lines(
    sh`set -e`,
    etcdFlagReader(c.member, t),
    renewFunction(c),
    sh`sca=$(v trusted-ca-file); pca=$(v peer-trusted-ca-file); [ -n "$pca" ] || pca="$sca"`,
    sh.join(
      [
        sh`[ -n "$sca" ] && [ -n "$(v cert-file)" ] && [ -n "$(v peer-cert-file)" ]`,
        sh`{ echo "no cert, peer cert or trusted CA flags in the etcd configuration" >&2; exit 1; }`,
      ],
      ' || ',
    ),
    sh`crt=$(v cert-file); key=$(v key-file); ca="$sca"; to=${ip}; renew`,
    sh`crt=$(v peer-cert-file); key=$(v peer-key-file); ca="$pca"; to=${ip}; renew`,
    t === 'static-pod' &&
      sh.join(
        [
          sh`crt="$(dirname "$sca")/healthcheck-client.crt"; key="\${crt%.crt}.key"; ca="$sca"; to=''`,
          sh`if [ -f "$crt" ]; then renew; fi`,
        ],
        '; ',
      ),
    client &&
      sh.lines(
        client,
        sh`crt=$(a certfile); key=$(a keyfile); ca=$(a cafile); [ -n "$ca" ] || ca="$sca"; to=''`,
        sh.join(
          [
            sh`if [ -n "$crt" ] && [ -f "$crt" ]; then renew`,
            sh`else echo "no etcd client certificate of this host's etcd client to renew"; fi`,
          ],
          '; ',
        ),
      ),
  );
}

export const renewCertsStep = (targets: Targets): StepDef => ({
  id: 'renew',
  title:
    "Re-issue this member's etcd certificates that expire within the window from its CA (subject " +
    'and SANs kept, its address added), old ones kept in certs-before-STAMP/',
  targets,
  destructive: true,
  changes:
    `server, peer and client certificates and keys are replaced by new ones from the CA (the old ` +
    `pair of each is kept in the folder ${keptFolder('STAMP')}/ beside it)`,
  actions: (c) => [{ kind: 'sh', script: renewScript(c) }],
  hint:
    `read the error above (a missing CA key, or an expired CA); the old certificates are unchanged ` +
    `or kept in ${keptFolder('STAMP')}/ beside them`,
});

/** A restart loads the new files for certain (etcd rereads its serving certs on new connections only). */
export const restartForCertsStep = (targets: Targets): StepDef => ({
  id: 'restart',
  title:
    'Restart etcd (and the API server, for its new etcd client cert) one member at a time, healthy before the next',
  targets,
  destructive: true,
  changes: 'etcd restarts on this member (the others keep quorum); the API server on it restarts after',
  actions: (c) => [
    { kind: 'sh', script: c.platform.stopEtcd(c.member, c.stamp) },
    { kind: 'sh', script: c.platform.startEtcd(c.member, c.stamp) },
    { kind: 'sh', script: c.platform.stopApiserver(c.member, c.stamp) },
    { kind: 'sh', script: c.platform.startApiserver(c.member, c.stamp) },
  ],
  verify: (c) => healthy(c, 120_000),
  timeoutMs: 300_000,
  hint:
    'etcd did not come back with the new certificates; read its log (a SAN or CA mismatch shows ' +
    "there), 'lifeboat diagnose'",
});
