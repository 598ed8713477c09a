// Message table for rbac.authorization.k8s.io/v1 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const RBAC: MessageTable = {
  'rbac.AggregationRule': 'clusterRoleSelectors=1:[]meta.LabelSelector',
  'rbac.ClusterRole':
    'metadata=1:meta.ObjectMeta rules=2:[]rbac.PolicyRule! aggregationRule=3:*rbac.AggregationRule',
  'rbac.ClusterRoleBinding': 'metadata=1:meta.ObjectMeta subjects=2:[]rbac.Subject roleRef=3:rbac.RoleRef!',
  'rbac.PolicyRule': 'verbs=1:[]s! apiGroups=2:[]s resources=3:[]s resourceNames=4:[]s nonResourceURLs=5:[]s',
  'rbac.Role': 'metadata=1:meta.ObjectMeta rules=2:[]rbac.PolicyRule!',
  'rbac.RoleBinding': 'metadata=1:meta.ObjectMeta subjects=2:[]rbac.Subject roleRef=3:rbac.RoleRef!',
  'rbac.RoleRef': 'apiGroup=1:s! kind=2:s! name=3:s!',
  'rbac.Subject': 'kind=1:s! apiGroup=2:s name=3:s! namespace=4:s',
};
