// Message table for apps/v1 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const APPS: MessageTable = {
  'apps.DaemonSet': 'metadata=1:meta.ObjectMeta spec=2:apps.DaemonSetSpec status=3:apps.DaemonSetStatus',
  'apps.DaemonSetCondition': 'type=1:s! status=2:s! lastTransitionTime=3:time reason=4:s message=5:s',
  'apps.DaemonSetSpec':
    'selector=1:*meta.LabelSelector! template=2:core.PodTemplateSpec! updateStrategy=3:apps.DaemonSetUpdateStrategy minReadySeconds=4:i32 revisionHistoryLimit=6:*i32',
  'apps.DaemonSetStatus':
    'currentNumberScheduled=1:i32! numberMisscheduled=2:i32! desiredNumberScheduled=3:i32! numberReady=4:i32! observedGeneration=5:i64 updatedNumberScheduled=6:i32 numberAvailable=7:i32 numberUnavailable=8:i32 collisionCount=9:*i32 conditions=10:[]apps.DaemonSetCondition',
  'apps.DaemonSetUpdateStrategy': 'type=1:s rollingUpdate=2:*apps.RollingUpdateDaemonSet',
  'apps.Deployment': 'metadata=1:meta.ObjectMeta spec=2:apps.DeploymentSpec status=3:apps.DeploymentStatus',
  'apps.DeploymentCondition':
    'type=1:s! status=2:s! lastUpdateTime=6:time lastTransitionTime=7:time reason=4:s message=5:s',
  'apps.DeploymentSpec':
    'replicas=1:*i32 selector=2:*meta.LabelSelector! template=3:core.PodTemplateSpec! strategy=4:apps.DeploymentStrategy minReadySeconds=5:i32 revisionHistoryLimit=6:*i32 paused=7:b progressDeadlineSeconds=9:*i32',
  'apps.DeploymentStatus':
    'observedGeneration=1:i64 replicas=2:i32 updatedReplicas=3:i32 readyReplicas=7:i32 availableReplicas=4:i32 unavailableReplicas=5:i32 terminatingReplicas=9:*i32 conditions=6:[]apps.DeploymentCondition collisionCount=8:*i32',
  'apps.DeploymentStrategy': 'type=1:s rollingUpdate=2:*apps.RollingUpdateDeployment',
  'apps.ReplicaSet': 'metadata=1:meta.ObjectMeta spec=2:apps.ReplicaSetSpec status=3:apps.ReplicaSetStatus',
  'apps.ReplicaSetCondition': 'type=1:s! status=2:s! lastTransitionTime=3:time reason=4:s message=5:s',
  'apps.ReplicaSetSpec':
    'replicas=1:*i32 minReadySeconds=4:i32 selector=2:*meta.LabelSelector! template=3:core.PodTemplateSpec',
  'apps.ReplicaSetStatus':
    'replicas=1:i32! fullyLabeledReplicas=2:i32 readyReplicas=4:i32 availableReplicas=5:i32 terminatingReplicas=7:*i32 observedGeneration=3:i64 conditions=6:[]apps.ReplicaSetCondition',
  'apps.RollingUpdateDaemonSet': 'maxUnavailable=1:*ios maxSurge=2:*ios',
  'apps.RollingUpdateDeployment': 'maxUnavailable=1:*ios maxSurge=2:*ios',
  'apps.RollingUpdateStatefulSetStrategy': 'partition=1:*i32 maxUnavailable=2:*ios',
  'apps.StatefulSet':
    'metadata=1:meta.ObjectMeta spec=2:apps.StatefulSetSpec status=3:apps.StatefulSetStatus',
  'apps.StatefulSetCondition': 'type=1:s! status=2:s! lastTransitionTime=3:time reason=4:s message=5:s',
  'apps.StatefulSetOrdinals': 'start=1:i32!',
  'apps.StatefulSetPersistentVolumeClaimRetentionPolicy': 'whenDeleted=1:s whenScaled=2:s',
  'apps.StatefulSetSpec':
    'replicas=1:*i32 selector=2:*meta.LabelSelector! template=3:core.PodTemplateSpec! volumeClaimTemplates=4:[]core.PersistentVolumeClaim serviceName=5:s! podManagementPolicy=6:s updateStrategy=7:apps.StatefulSetUpdateStrategy revisionHistoryLimit=8:*i32 minReadySeconds=9:i32 persistentVolumeClaimRetentionPolicy=10:*apps.StatefulSetPersistentVolumeClaimRetentionPolicy ordinals=11:*apps.StatefulSetOrdinals',
  'apps.StatefulSetStatus':
    'observedGeneration=1:i64 replicas=2:i32! readyReplicas=3:i32 currentReplicas=4:i32 updatedReplicas=5:i32 currentRevision=6:s updateRevision=7:s collisionCount=9:*i32 conditions=10:[]apps.StatefulSetCondition availableReplicas=11:i32!',
  'apps.StatefulSetUpdateStrategy': 'type=1:s rollingUpdate=2:*apps.RollingUpdateStatefulSetStrategy',
};
