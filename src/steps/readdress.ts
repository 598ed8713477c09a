// Moving a member to a new address with quorum held: certificates, peer URL, its own flags, then everyone's config.
import type { ResolvedMember } from '../inventory/resolve.js';
import {
  caKeyFinder,
  etcdFlagReader,
  namesNoOldAddress,
  servingCerts,
  swapAddresses,
  swapExprs,
  type AddressPair,
  type ServingCert,
} from '../platform/addresses.js';
import { sh, type Script } from '../shell/sh.js';
import type { HostCtx, PlanCtx, StepDef, Targets } from '../engine/types.js';
import { healthy } from './cluster.js';
import { reissueFromVars } from './certs.js';

export const movedMembers = (c: PlanCtx) => c.inventory.members.filter((m) => m.previousAddress);

/** A URL with its host swapped: where the cluster still knows a moved member. */
export const withHost = (url: string, host: string) => {
  const u = new URL(url);
  u.hostname = host;
  return u.toString().replace(/\/$/, '');
};

/** sed -i over files, replacing the old address wherever it stands as an address (see swapExprs). */
export const swapAddressSed = (from: string, to: string) => sh`sed -i ${swapExprs([[from, to]])}`;

const pairs = (c: HostCtx): AddressPair[] =>
  movedMembers(c).map((x) => [x.previousAddress!, x.address] as const);
const certDays = (c: HostCtx) => Number(c.params.certDays ?? 365);

/** Re-issue one of etcd's own certs (server or peer) from the CA of --trusted-ca-file (its key found beside it). */
function etcdCert(c: HostCtx, certFlag: string, keyFlag: string): Script {
  const m = c.member;
  return sh.lines(
    etcdFlagReader(m, c.inventory.topology),
    sh`crt=$(v ${certFlag}); key=$(v ${keyFlag}); ca=$(v trusted-ca-file)`,
    sh.join(
      [
        sh`[ -n "$crt" ] && [ -n "$key" ] && [ -n "$ca" ]`,
        sh`{ echo "no cert/key/trusted CA flags in the etcd configuration" >&2; exit 1; }`,
      ],
      ' || ',
    ),
    caKeyFinder,
    sh`from=${m.previousAddress ?? ''}; to=${m.address}`,
    reissueFromVars(c.stamp, certDays(c)),
  );
}

/** The API server's (k3s's) serving cert, when the host has it (kubeadm pki/apiserver.crt from pki/ca.key). */
function servingCert(c: HostCtx, s: ServingCert): Script {
  return sh.lines(
    sh`crt=${s.cert}; key=${s.key}; ca=${s.ca}; cak=${s.caKey}`,
    sh`from=${c.member.previousAddress ?? ''}; to=${c.member.address}`,
    sh`[ -f "$crt" ] || { echo "no $crt on this host"; exit 0; }`,
    reissueFromVars(c.stamp, certDays(c)),
  );
}

const memberList = (c: HostCtx, eps: string) => c.tools.etcdctl(sh`member list -w simple`, eps);
const idByName = (c: HostCtx, eps: string) =>
  sh`${memberList(c, eps)} | awk -F', ' -v n=${c.member.name} '$3==n {print $1; exit}'`;
/** Exit 0 when the member list has this member with this peer URL. */
const hasPeerURL = (c: HostCtx, eps: string, peer: string) =>
  sh`${memberList(c, eps)} | grep -F ${`, ${c.member.name}, `} | grep -qF ${`, ${peer}`}`;

/** Own config names the new addresses (the platform says where); etcd restarted when asked. */
const ownFlags = (c: HostCtx, restart: boolean) =>
  swapAddresses(c.member, c.inventory.topology, c.stamp, pairs(c), restart);

/** Exit 0 when no config of this host names a moved member's old address. */
const noOldAddress = (c: HostCtx) =>
  namesNoOldAddress(
    c.member,
    c.inventory.topology,
    movedMembers(c).map((x) => x.previousAddress!),
  );

const certsActions = (c: HostCtx) => [
  { kind: 'sh' as const, script: etcdCert(c, 'cert-file', 'key-file') },
  { kind: 'sh' as const, script: etcdCert(c, 'peer-cert-file', 'peer-key-file') },
  ...servingCerts(c.member, c.inventory.topology).map((s) => ({
    kind: 'sh' as const,
    script: servingCert(c, s),
  })),
];

/** Restores onto moved hosts (etcd stopped): certs for the new address and config naming the new addresses. */
export function rewriteForNewAddressStep(targets: Targets): StepDef {
  return {
    id: 'new-addresses',
    title:
      'Moved members: server and peer certs re-issued for the new address (old kept), every flag ' +
      'naming an old address changed to the new one',
    targets,
    destructive: true,
    changes:
      "this member's certificates are re-issued (old kept as .before-STAMP); its configuration names the new addresses",
    actions: (c) => [...certsActions(c), { kind: 'sh', script: ownFlags(c, false) }],
    check: noOldAddress,
    hint: 'read the openssl or sed error above; the old certificates and configuration were kept as .before-STAMP',
  };
}

/** One moved member at a time: new certs, member update of its peer URL, its own flags, healthy before the next. */
export function moveMemberStep(targets: Targets): StepDef {
  return {
    id: 'move-member',
    title:
      'Per moved member, one at a time: server and peer certs re-issued for the new address (old ' +
      'kept), member update --peer-urls, its flags moved to the new address, healthy before the ' +
      'next',
    targets,
    destructive: true,
    changes:
      "this member's certificates are re-issued (old ones kept as .before-STAMP), its peer URL " +
      'changes in the membership, its etcd (and API server) configuration names the new address',
    actions: (c) => {
      const others = c.inventory.members.filter((m) => m.name !== c.member.name);
      const eps = others.map((m) => m.clientURL).join(',');
      const peer = c.member.peerURL;
      return [
        ...certsActions(c),
        {
          kind: 'sh',
          script: sh.lines(
            sh`id=$(${idByName(c, eps)})`,
            sh`[ -n "$id" ] || { echo ${`${c.member.name} is not in the member list`} >&2; exit 1; }`,
            sh`if ${hasPeerURL(c, eps, peer)}; then echo ${`peer URL already ${peer}`};`,
            sh`else ${c.tools.etcdctl(sh`member update "$id" --peer-urls=${peer}`, eps)}; fi`,
          ),
        },
        { kind: 'sh', script: ownFlags(c, true) },
      ];
    },
    check: (c) => {
      const eps = c.inventory.members.map((m) => m.clientURL).join(',');
      return sh.join(
        [
          hasPeerURL(c, eps, c.member.peerURL),
          noOldAddress(c),
          c.tools.etcdctl(sh`--command-timeout=3s endpoint health`),
        ],
        ' && ',
      );
    },
    verify: (c) => healthy(c, 120_000),
    timeoutMs: 240_000,
    hint:
      "the member did not come back on its new address: read its etcd log; 'member list' shows the " +
      'peer URL the cluster expects',
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
