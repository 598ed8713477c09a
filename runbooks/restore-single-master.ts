// Single control-plane restore (PROCEDURES §3): stop, move aside, restore, fix ownership, start, verify.
import { defineRunbook } from '../src/engine/define.js';
import { restoreNodes, restoreParams } from '../src/steps/restore.js';

export default defineRunbook({
  id: 'restore-single-master',
  title: 'Restore a single control-plane cluster from a snapshot',
  summary:
    'On the one control-plane host: stops kube-apiserver and etcd, moves the data dir aside, restores the verified snapshot with a new token, sets ownership to the user etcd runs as, starts etcd and the API server, and verifies.',
  when: 'A cluster with one control-plane member lost or damaged its etcd data and a good snapshot exists.',
  params: restoreParams,
  needs: { snapshotParam: 'snapshot' },
  nodes: restoreNodes('single'),
});
