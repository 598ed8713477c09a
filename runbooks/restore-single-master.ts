// Single control-plane restore: the one member rebuilt from a verified snapshot with a new cluster token.
// The phases below are the procedure, in order; docs/procedures.md says why each step is there.
import { defineRunbook, phase } from '../src/engine/define.js';
import type { Targets } from '../src/engine/types.js';
import { verifyClusterStep } from '../src/steps/cluster.js';
import {
  fixOwnership,
  followersThenLeader,
  moveAside,
  restartControllers,
  startApiservers,
  startEtcd,
  stopApiservers,
  stopEtcd,
  uploadSnapshot,
} from '../src/steps/data.js';
import { kubeletRestartDecision } from '../src/steps/kubelet.js';
import { staleEndpointsStep, staleLeasesStep } from '../src/steps/leases.js';
import {
  pkiFromBackupIfGiven,
  readdressMovedHosts,
  recordStateBefore,
  restoreEveryMember,
  restoreInputs,
  restoreParams,
  snapshotKeyCount,
  snapshotOf,
} from '../src/steps/restore.js';

const all: Targets = { kind: 'all' };

export default defineRunbook({
  id: 'restore-single-master',
  title: 'Restore a single control-plane cluster from a snapshot',
  summary:
    'On the one control-plane host: stops kube-apiserver and etcd, moves the data dir aside, ' +
    'restores the verified snapshot with a new token, sets ownership to the user etcd runs as, ' +
    'starts etcd and the API server, and verifies.',
  when: 'A cluster with one control-plane member lost or damaged its etcd data and a good snapshot exists.',
  params: restoreParams,
  needs: { snapshotParam: 'snapshot' },
  nodes: [
    restoreInputs(
      {
        question: 'One control-plane member?',
        onlyMembers: { count: 1, otherwise: 'restore-multi-master' },
      },
      [
        phase('record', 'Record the state before', [recordStateBefore()]),
        phase('distribute', 'Distribute the snapshot', [uploadSnapshot(all, snapshotOf)]),
        phase('stop', 'Stop the API servers and etcd everywhere before any restore', [
          stopApiservers(all),
          stopEtcd(followersThenLeader),
        ]),
        pkiFromBackupIfGiven(),
        phase('restore', 'Restore every member from the same snapshot', [
          moveAside(all),
          restoreEveryMember(all),
          fixOwnership(all),
        ]),
        readdressMovedHosts(),
        phase('start', 'Start etcd, then the API servers, then what caches revisions', [
          startEtcd(all),
          startApiservers(all),
          restartControllers(all),
        ]),
        kubeletRestartDecision(),
        phase('verify', 'Verify the restored cluster', [
          verifyClusterStep(),
          snapshotKeyCount(),
          staleLeasesStep(),
          staleEndpointsStep(),
        ]),
      ],
    ),
  ],
});
