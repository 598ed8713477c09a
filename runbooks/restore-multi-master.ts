// Multi control-plane restore (PROCEDURES §4): every member rebuilt from ONE snapshot with a NEW cluster token.
import { defineRunbook } from '../src/engine/define.js';
import { restoreNodes, restoreParams } from '../src/steps/restore.js';

export default defineRunbook({
  id: 'restore-multi-master',
  title: 'Restore a multi control-plane cluster from one snapshot',
  summary:
    'Stops every kube-apiserver and etcd, moves every data dir aside, restores the same verified snapshot on every member with its own name, the full initial cluster and a new token, fixes ownership, starts etcd and the API servers, and verifies health, membership, hashkv and key count.',
  when: 'The data is lost or wrong on the whole cluster (bad change, corruption, lost majority with no usable survivor) and a good snapshot exists.',
  params: restoreParams,
  needs: { snapshotParam: 'snapshot' },
  nodes: restoreNodes('multi'),
});
