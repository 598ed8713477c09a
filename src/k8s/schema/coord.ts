// Message table for coordination.k8s.io/v1 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const COORD: MessageTable = {
  'coord.Lease': 'metadata=1:meta.ObjectMeta spec=2:coord.LeaseSpec',
  'coord.LeaseSpec':
    'holderIdentity=1:*s leaseDurationSeconds=2:*i32 acquireTime=3:*mtime renewTime=4:*mtime leaseTransitions=5:*i32 strategy=6:*s preferredHolder=7:*s',
};
