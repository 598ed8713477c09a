// Moving a member to a new address with quorum held: certificates, peer URL, its own flags, then everyone's config.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh } from '../shell/sh.js';
import type { HostCtx, PlanCtx, StepDef, Targets } from '../engine/types.js';
import { healthy } from './cluster.js';
import { certHasIp, reissueFromVars } from './certs.js';

export const movedMembers = (c: PlanCtx) => c.inventory.members.filter((m) => m.previousAddress);

/** A URL with its host swapped: where the cluster still knows a moved member. */
export const withHost = (url: string, host: string) => {
  const u = new URL(url);
  u.hostname = host;
  return u.toString().replace(/\/$/, '');
};

const dots = (a: string) => a.replace(/\./g, '\\.');

/** sed replacing the old address wherever it stands as an address (after / = : space or comma; before : " , space or end). */
export const swapAddressSed = (from: string, to: string) =>
  `sed -i -e ${sh.quote(`s#\\([/=:, ]\\)${dots(from)}\\([:", ]\\|$\\)#\\1${to}\\2#g`)} -e ${sh.quote(`s#\\([/=:, ]\\)${dots(from)}\\([:", ]\\|$\\)#\\1${to}\\2#g`)}`;

/** Where a static pod manifest is while the runbook has it parked (etcd or the API server stopped). */
const parkedToo = (f: string) => [
  f,
  `${dirname(dirname(f))}/manifests-stopped-by-lifeboat/${f.split('/').pop()}`,
];

/** This host's config files that may name addresses: both manifests (wherever they are), or etcd.conf. */
const configFiles = (c: HostCtx) =>
  c.inventory.topology === 'static-pod'
    ? [...parkedToo(c.member.manifest), ...parkedToo(c.member.apiserverManifest)]
    : [c.member.config];

/** Shell function `v FLAG` printing a flag's value from this member's etcd configuration (manifest or etcd.conf). */
export function flagReader(c: HostCtx): string {
  if (c.inventory.topology === 'static-pod') {
    const [live, parked] = parkedToo(c.member.manifest);
    return `v() { f=${sh.quote(live!)}; [ -f "$f" ] || f=${sh.quote(parked!)}; sed -n "s/^ *- --$1=//p" "$f" | head -n1; }`;
  }
  return `v() { k=ETCD_$(echo "$1" | tr a-z- A-Z_); sed -n "s/^$k=//p" ${sh.quote(c.member.config)} | tr -d '"' | head -n1; }`;
}

/** Re-issue one of etcd's own certs (server or peer) from the CA beside --trusted-ca-file (kubeadm: ca.key). */
function etcdCert(c: HostCtx, certFlag: string, keyFlag: string): string {
  const m = c.member;
  return [
    flagReader(c),
    `crt=$(v ${certFlag}); key=$(v ${keyFlag}); ca=$(v trusted-ca-file); cak="\${ca%.crt}.key"`,
    `from=${sh.quote(m.previousAddress ?? '')}; to=${sh.quote(m.address)}`,
    '[ -n "$crt" ] && [ -n "$key" ] && [ -n "$ca" ] || { echo "no cert/key/trusted CA flags in the etcd configuration" >&2; exit 1; }',
    reissueFromVars(c.stamp, Number(c.params.certDays ?? 365)),
  ].join('\n');
}

/** kubeadm's API server serving cert (pki/apiserver.crt from pki/ca.key) when it names the old address. */
function apiserverCert(c: HostCtx): string {
  const pki = `${dirname(dirname(c.member.apiserverManifest))}/pki`;
  return [
    `crt=${sh.quote(`${pki}/apiserver.crt`)}; key=${sh.quote(`${pki}/apiserver.key`)}; ca=${sh.quote(`${pki}/ca.crt`)}; cak=${sh.quote(`${pki}/ca.key`)}`,
    `from=${sh.quote(c.member.previousAddress ?? '')}; to=${sh.quote(c.member.address)}`,
    '[ -f "$crt" ] || { echo "no $crt on this host"; exit 0; }',
    reissueFromVars(c.stamp, Number(c.params.certDays ?? 365)),
  ].join('\n');
}

const idByName = (c: HostCtx, eps: string) =>
  `${c.tools.etcdctl(sh`member list -w simple`, eps)} | awk -F', ' -v n=${sh.quote(c.member.name)} '$3==n {print $1; exit}'`;

/** Own config: every flag naming a moved member's old address (listen, advertise, initial cluster, metrics, probes,
 *  --etcd-servers) names its new one; etcd (systemd) restarted when asked, static pods restart on the edit. */
function ownFlags(c: HostCtx, restart: boolean): string {
  const m = c.member;
  const seds = movedMembers(c).map((x) => swapAddressSed(x.previousAddress!, x.address));
  const saved =
    c.inventory.topology === 'static-pod'
      ? `${dirname(dirname(m.manifest))}/lifeboat-backup`
      : `${dirname(m.config)}/lifeboat-backup`;
  return [
    `mkdir -p ${sh.quote(saved)}`,
    ...configFiles(c).map((f) =>
      [
        `f=${sh.quote(f)}`,
        'if [ -f "$f" ]; then',
        `  b=${sh.quote(saved)}/"$(basename "$f")".before-${c.stamp}; [ -e "$b" ] || cp -p "$f" "$b"`,
        // Edited in a copy and renamed in: the kubelet never reads a half-written manifest.
        `  t=${sh.quote(`${dirname(f)}/.lifeboat-${c.stamp}`)}; cp -p "$f" "$t"`,
        ...seds.map((x) => `  ${x} "$t"`),
        '  if cmp -s "$f" "$t"; then rm -f "$t"; echo "$f names no old address"; else mv "$t" "$f"; echo "$f: old addresses replaced"; fi',
        'fi',
      ].join('\n'),
    ),
    restart && c.inventory.topology !== 'static-pod'
      ? 'systemctl daemon-reload && systemctl restart etcd'
      : 'true',
  ].join('\n');
}

/** Exit 0 when no config file of this host names a moved member's old address. */
const noOldAddress = (c: HostCtx) =>
  `! cat ${configFiles(c).map(sh.quote).join(' ')} 2>/dev/null | grep -qE ${sh.quote(
    movedMembers(c)
      .map((x) => `//${dots(x.previousAddress!)}:`)
      .join('|'),
  )}`;

const certsActions = (c: HostCtx) => [
  { kind: 'sh' as const, script: sh.raw(etcdCert(c, 'cert-file', 'key-file')) },
  { kind: 'sh' as const, script: sh.raw(etcdCert(c, 'peer-cert-file', 'peer-key-file')) },
  ...(c.inventory.topology === 'static-pod'
    ? [{ kind: 'sh' as const, script: sh.raw(apiserverCert(c)) }]
    : []),
];

/** Restores onto moved hosts (etcd stopped): certs for the new address and config naming the new addresses. */
export function rewriteForNewAddressStep(targets: Targets): StepDef {
  return {
    id: 'new-addresses',
    title:
      'Moved members: server and peer certs re-issued for the new address (old kept), every flag naming an old address changed to the new one',
    targets,
    destructive: true,
    changes:
      "this member's certificates are re-issued (old kept as .before-STAMP); its configuration names the new addresses",
    actions: (c) => [...certsActions(c), { kind: 'sh', script: sh.raw(ownFlags(c, false)) }],
    check: (c) => sh.raw(noOldAddress(c)),
    hint: 'read the openssl or sed error above; the old certificates and configuration were kept as .before-STAMP',
  };
}

/** One moved member at a time: new certs, member update of its peer URL, its own flags, healthy before the next. */
export function moveMemberStep(targets: Targets): StepDef {
  return {
    id: 'move-member',
    title:
      'Per moved member, one at a time: server and peer certs re-issued for the new address (old kept), member update --peer-urls, its flags moved to the new address, healthy before the next',
    targets,
    destructive: true,
    changes:
      "this member's certificates are re-issued (old ones kept as .before-STAMP), its peer URL changes in the membership, its etcd (and API server) configuration names the new address",
    actions: (c) => {
      const others = c.inventory.members.filter((m) => m.name !== c.member.name);
      const eps = others.map((m) => m.clientURL).join(',');
      const peer = c.member.peerURL;
      return [
        ...certsActions(c),
        {
          kind: 'sh',
          script: sh.raw(
            [
              `id=$(${idByName(c, eps)})`,
              `[ -n "$id" ] || { echo ${sh.quote(`${c.member.name} is not in the member list`)} >&2; exit 1; }`,
              `if ${c.tools.etcdctl(sh`member list -w simple`, eps)} | grep -F ${sh.quote(`, ${c.member.name}, `)} | grep -qF ${sh.quote(`, ${peer}`)}; then echo ${sh.quote(`peer URL already ${peer}`)}; else ${c.tools.etcdctl(sh`member update "$id" --peer-urls=${peer}`, eps)}; fi`,
            ].join('\n'),
          ),
        },
        { kind: 'sh', script: sh.raw(ownFlags(c, true)) },
      ];
    },
    check: (c) => {
      const eps = c.inventory.members.map((m) => m.clientURL).join(',');
      return sh.raw(
        [
          `${c.tools.etcdctl(sh`member list -w simple`, eps)} | grep -F ${sh.quote(`, ${c.member.name}, `)} | grep -qF ${sh.quote(`, ${c.member.peerURL}`)}`,
          noOldAddress(c),
          c.tools.etcdctl(sh`--command-timeout=3s endpoint health`).text,
        ].join(' && '),
      );
    },
    verify: (c) => healthy(c, 120_000),
    timeoutMs: 240_000,
    hint: "the member did not come back on its new address: read its etcd log; 'member list' shows the peer URL the cluster expects",
  };
}

/** Every API server (k3s) pointed at every member's new client URL. */
export function repointClientsStep(targets: Targets): StepDef {
  return {
    id: 'repoint-clients',
    title: "Every client's etcd endpoints (--etcd-servers, k3s --datastore-endpoint) name the new addresses",
    targets,
    actions: (c) => [
      {
        kind: 'sh',
        script: c.platform.setEtcdServers(
          c.member,
          c.stamp,
          c.inventory.members.map((m: ResolvedMember) => m.clientURL),
        ),
      },
    ],
  };
}

/** Exit 0 when this cert is valid for the member's address (for checks and tests). */
export const serverCertMoved = (c: HostCtx, cert: string) => certHasIp(cert, c.member.address);
