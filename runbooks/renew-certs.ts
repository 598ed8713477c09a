// Expired or expiring etcd certificates (kubeadm's one-year certs): re-issued from the cluster's CA on each host,
// old files kept, then each member restarted in turn.
import { z } from 'zod';
import { decision, defineRunbook, phase } from '../src/engine/define.js';
import type { PlanCtx } from '../src/engine/types.js';
import { verifyClusterStep } from '../src/steps/cluster.js';
import { followersThenLeader } from '../src/steps/data.js';
import { renewCertsStep, restartForCertsStep } from '../src/steps/renew.js';

const SUPPORTED = ['static-pod', 'systemd', 'docker', 'k3s-external'];
const days = z
  .string()
  .regex(/^\d{1,4}$/, 'a whole number of days')
  .refine((d) => Number(d) >= 1 && Number(d) <= 3650, 'between 1 and 3650 days');

export default defineRunbook({
  id: 'renew-certs',
  title:
    'Renew expired or expiring etcd certificates from the cluster CA, then restart members one at a time',
  summary:
    "On each member in turn: the server and peer certificates named in etcd's own configuration " +
    "(manifest, etcd.conf or the container's arguments), kubeadm's healthcheck-client, and the " +
    "etcd client certificate the host's API server (kubeadm, docker) or k3s is configured with, " +
    "when they expire within --set within=DAYS (default 30) or lack the member's address, are " +
    'renewed from the CA they are trusted by (its key found beside it) with the same subject, SANs ' +
    "and usages, valid --set days=N (default 365): `kubeadm certs renew` for kubeadm's own files " +
    'when kubeadm is on the host (and days is 365, the address already there), openssl otherwise. ' +
    'The old certificate and key of each are kept in the folder certs-before-STAMP/ beside them. ' +
    'Refused when the CA itself has expired. Then etcd and its client restart through the platform ' +
    'one member at a time (the leader last), healthy before the next, and the cluster is verified.',
  when:
    "etcd or the API server logs 'x509: certificate has expired or is not yet valid', or diagnose " +
    'shows an etcd certificate close to its expiry. The CA key must be on the hosts (kubeadm keeps ' +
    'pki/etcd/ca.key, RKE kube-ca-key.pem, openshift-ansible /etc/etcd/ca/ca.key).',
  params: z.object({ days: days.optional(), within: days.optional() }).strict(),
  nodes: [
    decision({
      id: 'layout',
      title: 'Does Lifeboat know where this platform keeps the etcd certificates?',
      decide: (c: PlanCtx) =>
        SUPPORTED.includes(c.inventory.topology)
          ? {
              branch: 'renew',
              why:
                `${c.inventory.topology}: certificate paths read from each member's etcd ` +
                `configuration (and its etcd client's); renewing what expires within ` +
                `${c.params.within ?? 30} days for ${c.params.days ?? 365} days`,
            }
          : {
              branch: 'refuse',
              why:
                `the ${c.inventory.topology} topology is not supported by renew-certs yet: renew its ` +
                `certificates by hand (docs/operators-guide.md)`,
            },
      branches: {
        refuse: 'refuse',
        renew: [
          phase('renew', 'Re-issue the certificates on each member', [renewCertsStep({ kind: 'each' })]),
          phase('restart', 'Restart each member in turn, the leader last', [
            restartForCertsStep(followersThenLeader),
          ]),
          phase('verify', 'Verify', [verifyClusterStep()]),
        ],
      },
    }),
  ],
});
