// Moved members (issue 13): members whose address changed while the others keep quorum get new certs, peer URLs, flags.
import { z } from 'zod';
import { decision, defineRunbook, phase } from '../src/engine/define.js';
import { quorum } from '../src/etcd/facts.js';
import type { PlanCtx } from '../src/engine/types.js';
import { verifyClusterStep } from '../src/steps/cluster.js';
import { initialClusterStep } from '../src/steps/members.js';
import { staleEndpointsStep, staleLeasesStep } from '../src/steps/leases.js';
import { movedMembers, moveMemberStep, repointClientsStep } from '../src/steps/readdress.js';

const isIp = (a: string) => /^(\d{1,3}\.){3}\d{1,3}$/.test(a);
const names = (c: PlanCtx) => c.inventory.members.map((m) => m.name);
const moved = (c: PlanCtx) => movedMembers(c).map((m) => m.name);

export default defineRunbook({
  id: 'readdress',
  title: 'Members with new addresses (cluster keeps quorum): certificates, peer URLs, flags, clients',
  summary:
    'For each member whose inventory entry has a previousAddress, one at a time: re-issues its ' +
    "server and peer certificates (and the API server's serving certificate: kubeadm " +
    'apiserver.crt, k3s serving-kube-apiserver.crt, RKE kube-apiserver.pem) from the CA beside the ' +
    'trusted CA with the new address in the SANs, old ones kept; `member update` of its peer URL ' +
    'through the others; its own flags (listen, advertise, initial cluster, metrics) moved to the ' +
    'new address where the platform keeps them (static pod manifests, etcd.conf, the k3s unit, or ' +
    'the etcd and kube-apiserver containers recreated with the old ones kept); healthy before the ' +
    "next. Then --initial-cluster on every member and every API server's --etcd-servers (k3s " +
    '--datastore-endpoint) name the new addresses, the cluster is verified, and API server leases ' +
    'of old addresses are removed.',
  when:
    "A control-plane host's address changed (VM re-IP, DHCP, new subnet) and the members that did " +
    'not move still have quorum. Write the new address in the inventory and the old one as ' +
    'previousAddress.',
  params: z
    .object({
      certDays: z
        .string()
        .regex(/^\d{1,5}$/)
        .optional(),
    })
    .strict(),
  nodes: [
    decision({
      id: 'moved',
      title: 'Which members moved, and do the others keep quorum?',
      decide: (c) => {
        if (!moved(c).length)
          return {
            branch: 'refuse',
            why: 'no member has a previousAddress in the inventory: write the old address there for each moved member',
          };
        const notIp = movedMembers(c).filter((m) => !isIp(m.address) || !isIp(m.previousAddress!));
        if (notIp.length)
          return {
            branch: 'refuse',
            why:
              `${notIp.map((m) => m.name).join(', ')}: address and previousAddress must be IPv4 ` +
              `addresses (certificates carry them as IP SANs)`,
          };
        const q = quorum(c.facts, names(c));
        // Healthy at the inventory's (new) address: members that stayed, and moved ones already done by an earlier run.
        const ok = q.healthy;
        if (c.facts.probed && ok < q.needed)
          return {
            branch: 'refuse',
            why:
              `quorum lost: ${ok} healthy member(s) at the inventory's addresses, ${q.needed} ` +
              `needed; rebuild on the new addresses with restore-multi-master from a snapshot`,
          };
        return {
          branch: 'move',
          why:
            `moved: ${moved(c).join(', ')}; ${ok} healthy member(s) keep quorum (${q.needed} ` +
            `needed)${c.facts.probed ? '' : ' (not probed: assumed)'}`,
        };
      },
      branches: {
        refuse: 'refuse',
        move: [
          phase('move', 'Move each member, one at a time', [
            moveMemberStep({ kind: 'pick', members: moved, describe: 'each moved member, one at a time' }),
          ]),
          phase('config', 'Every member and client names the new addresses', [
            initialClusterStep({ kind: 'each' }),
            repointClientsStep({ kind: 'each' }),
          ]),
          phase('verify', 'Verify, and remove leases of the old addresses', [
            verifyClusterStep(),
            staleLeasesStep(),
            staleEndpointsStep(),
          ]),
        ],
      },
    }),
  ],
});
