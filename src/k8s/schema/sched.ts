// Message table for scheduling.k8s.io/v1alpha3 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const SCHED: MessageTable = {
  'sched.TopologyConstraint': 'key=1:s!',
  'sched.WorkloadPodGroupAllDisruptionMode': '',
  'sched.WorkloadPodGroupBasicSchedulingPolicy': '',
  'sched.WorkloadPodGroupDisruptionMode':
    'single=1:*sched.WorkloadPodGroupSingleDisruptionMode all=2:*sched.WorkloadPodGroupAllDisruptionMode',
  'sched.WorkloadPodGroupGangSchedulingPolicy': 'minCount=1:*i32',
  'sched.WorkloadPodGroupResourceClaim': 'name=1:s! resourceClaimName=2:*s resourceClaimTemplateName=3:*s',
  'sched.WorkloadPodGroupSchedulingConstraints': 'topology=1:[]sched.TopologyConstraint',
  'sched.WorkloadPodGroupSchedulingPolicy':
    'basic=1:*sched.WorkloadPodGroupBasicSchedulingPolicy gang=2:*sched.WorkloadPodGroupGangSchedulingPolicy',
  'sched.WorkloadPodGroupSingleDisruptionMode': '',
};
