// Certificate renewal (issue 12): etcd's server, peer and client certificates re-issued from the CA on the host, then
// each member restarted in turn so it serves the new ones.
import { dirname } from 'node:path';
import type { HostCtx, StepDef, Targets } from '../engine/types.js';
import { sh } from '../shell/sh.js';
import { healthy } from './cluster.js';
import { renewFromVars } from './certs.js';
import { etcdFlagReader } from '../platform/addresses.js';

export const certDays = (c: HostCtx) => Number(c.params.days ?? 365);
export const withinDays = (c: HostCtx) => Number(c.params.within ?? 30);

/** The member's own certs (from its flags) and, on kubeadm, the healthcheck and API server etcd client certs. */
function renewScript(c: HostCtx): string {
  const renew = renewFromVars(c.stamp, certDays(c), withinDays(c));
  const one = (vars: string) => `( ${vars}\n${renew}\n) || exit 1`;
  const ip = sh.quote(c.member.address);
  const lines = [
    'set -e',
    String(etcdFlagReader(c.member, c.inventory.topology)),
    'ca=$(v trusted-ca-file); pca=$(v peer-trusted-ca-file); [ -n "$pca" ] || pca="$ca"',
    '[ -n "$ca" ] && [ -n "$(v cert-file)" ] && [ -n "$(v peer-cert-file)" ] || { echo "no cert, peer cert or trusted CA flags in the etcd configuration" >&2; exit 1; }',
    one(`crt=$(v cert-file); key=$(v key-file); cak="\${ca%.crt}.key"; from=''; to=${ip}`),
    one(
      `crt=$(v peer-cert-file); key=$(v peer-key-file); ca="$pca"; cak="\${pca%.crt}.key"; from=''; to=${ip}`,
    ),
  ];
  if (c.inventory.topology === 'static-pod') {
    const pki = `${dirname(dirname(c.member.apiserverManifest))}/pki`;
    for (const crt of [
      '"$(dirname "$ca")/healthcheck-client.crt"',
      sh.quote(`${pki}/apiserver-etcd-client.crt`),
    ])
      lines.push(
        `crt=${crt}; if [ -f "$crt" ]; then ${one(`key="\${crt%.crt}.key"; cak="\${ca%.crt}.key"; from=''; to=''`)}; fi`,
      );
  }
  return lines.join('\n');
}

export const renewCertsStep = (targets: Targets): StepDef => ({
  id: 'renew',
  title:
    "Re-issue this member's etcd certificates that expire within the window from its CA (subject and SANs kept, its address added), old ones kept as .before-STAMP",
  targets,
  destructive: true,
  changes:
    'server, peer and client certificates and keys are replaced by new ones from the CA (the old files stay beside them as NAME.before-STAMP)',
  actions: (c) => [{ kind: 'sh', script: sh.raw(renewScript(c)) }],
  hint: 'read the error above (a missing CA key, or an expired CA); the old certificates are unchanged or kept as .before-STAMP',
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
  hint: "etcd did not come back with the new certificates; read its log (a SAN or CA mismatch shows there), 'lifeboat diagnose'",
});
