// Message table for meta/v1 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const META: MessageTable = {
  'meta.Condition':
    'type=1:s! status=2:s! observedGeneration=3:i64 lastTransitionTime=4:time! reason=5:s! message=6:s!',
  'meta.LabelSelector': 'matchLabels=1:{}s matchExpressions=2:[]meta.LabelSelectorRequirement',
  'meta.LabelSelectorRequirement': 'key=1:s! operator=2:s! values=3:[]s',
  'meta.ManagedFieldsEntry':
    'manager=1:s operation=2:s apiVersion=3:s time=4:*time fieldsType=6:s fieldsV1=7:*raw subresource=8:s',
  'meta.ObjectMeta':
    'name=1:s generateName=2:s namespace=3:s selfLink=4:s uid=5:s resourceVersion=6:s generation=7:i64 creationTimestamp=8:time~ deletionTimestamp=9:*time deletionGracePeriodSeconds=10:*i64 labels=11:{}s annotations=12:{}s ownerReferences=13:[]meta.OwnerReference finalizers=14:[]s managedFields=17:[]meta.ManagedFieldsEntry',
  'meta.OwnerReference':
    'apiVersion=5:s! kind=1:s! name=3:s! uid=4:s! controller=6:*b blockOwnerDeletion=7:*b',
};
