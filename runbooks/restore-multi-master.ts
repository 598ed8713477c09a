// Multi control-plane restore: every member rebuilt from ONE snapshot with a NEW cluster token.
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
  id: 'restore-multi-master',
  title: 'Restore a multi control-plane cluster from one snapshot',
  summary:
    'Stops every kube-apiserver and etcd, moves every data dir aside, restores the same verified ' +
    'snapshot on every member with its own name, the full initial cluster and a new token, fixes ' +
    'ownership, starts etcd and the API servers, and verifies health, membership, hashkv and key ' +
    'count.',
  when:
    'The data is lost or wrong on the whole cluster (bad change, corruption, lost majority with no ' +
    'usable survivor) and a good snapshot exists.',
  params: restoreParams,
  needs: { snapshotParam: 'snapshot' },
  nodes: [
    // Any member count (one works too); the single-member runbook is the same procedure for one host.
    restoreInputs({ question: 'More than one member?' }, [
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
    ]),
  ],
});
