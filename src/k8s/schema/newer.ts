// Fields kubernetes/api added after the generated table's source (1.36), up to commit 10b39a39 (the fixtures in
// test/fixtures/k8s-protobuf, from kubernetes/api testdata): whole messages in Go field order, merged over the
// generated table by index.ts.
// Hand-kept until Debian ships a newer golang-k8s-api-dev; each 1.36 field is kept too (union).
import type { MessageTable } from './types.js';

export const NEWER: MessageTable = {
  'batch.v1.JobSchedulingConfiguration':
    'schedulingPolicy=1:*scheduling.v1.WorkloadPodGroupSchedulingPolicy ' +
    'schedulingConstraints=2:*scheduling.v1.WorkloadPodGroupSchedulingConstraints ' +
    'disruptionMode=3:*scheduling.v1.WorkloadPodGroupDisruptionMode ' +
    'resourceClaims=4:[]scheduling.v1.WorkloadPodGroupResourceClaim',
  'batch.v1.JobSpec':
    'parallelism=1:*i32 completions=2:*i32 activeDeadlineSeconds=3:*i64 ' +
    'podFailurePolicy=11:*batch.v1.PodFailurePolicy successPolicy=16:*batch.v1.SuccessPolicy ' +
    'backoffLimit=7:*i32 backoffLimitPerIndex=12:*i32 maxFailedIndexes=13:*i32 ' +
    'selector=4:*meta.v1.LabelSelector manualSelector=5:*b template=6:core.v1.PodTemplateSpec! ' +
    'ttlSecondsAfterFinished=8:*i32 completionMode=9:*s suspend=10:*b podReplacementPolicy=14:*s ' +
    'managedBy=15:*s scheduling=17:*batch.v1.JobSchedulingConfiguration',
  'core.v1.ClusterTrustBundleProjection':
    'name=1:*s signerName=2:*s labelSelector=3:*meta.v1.LabelSelector optional=5:*b path=4:s! user=6:*i64',
  'core.v1.ConfigMapVolumeSource':
    '=1:core.v1.LocalObjectReference^ items=2:[]core.v1.KeyToPath defaultMode=3:*i32 optional=4:*b defaultUser=5:*i64',
  'core.v1.DownwardAPIVolumeFile':
    'path=1:s! fieldRef=2:*core.v1.ObjectFieldSelector ' +
    'resourceFieldRef=3:*core.v1.ResourceFieldSelector mode=4:*i32 user=5:*i64',
  'core.v1.DownwardAPIVolumeSource':
    'items=1:[]core.v1.DownwardAPIVolumeFile defaultMode=2:*i32 defaultUser=3:*i64',
  'core.v1.EmptyDirVolumeSource': 'medium=1:s sizeLimit=2:*qty mode=3:*i32',
  'core.v1.EvictionResponder': 'name=1:s! priority=2:*i32!',
  'core.v1.GRPCAction': 'port=1:i32! service=2:*s! mode=3:*s',
  'core.v1.HTTPGetAction':
    'path=1:s port=2:ios! host=3:s scheme=4:s httpHeaders=5:[]core.v1.HTTPHeader protocol=6:*s',
  'core.v1.KeyToPath': 'key=1:s! path=2:s! mode=3:*i32 user=4:*i64',
  'core.v1.NodeAllocatableMappedResources': 'name=1:s! quantity=2:*qty!',
  'core.v1.NodeAllocatableOverheadResources': 'name=1:s! perPod=2:*qty perContainer=3:*qty',
  'core.v1.NodeAllocatableResourceClaimStatus':
    'resourceClaimName=1:s! containers=2:[]s resources=3:{}qty ' +
    'mapping=4:[]core.v1.NodeAllocatableMappedResources ' +
    'overhead=5:[]core.v1.NodeAllocatableOverheadResources',
  'core.v1.NodePodPreemptionPolicy': 'disableResizePreemption=1:[]s',
  'core.v1.NodeSpec':
    'podCIDR=1:s podCIDRs=7:[]s providerID=3:s unschedulable=4:b taints=5:[]core.v1.Taint ' +
    'configSource=6:*core.v1.NodeConfigSource externalID=2:s ' +
    'podPreemptionPolicy=8:*core.v1.NodePodPreemptionPolicy',
  'core.v1.PersistentVolumeClaimStatus':
    'phase=1:s accessModes=2:[]s capacity=3:{}qty ' +
    'conditions=4:[]core.v1.PersistentVolumeClaimCondition allocatedResources=5:{}qty ' +
    'allocatedResourceStatuses=7:{}s currentVolumeAttributesClassName=8:*s ' +
    'modifyVolumeStatus=9:*core.v1.ModifyVolumeStatus healthStatus=10:*core.v1.VolumeHealthStatus',
  'core.v1.PodCertificateProjection':
    'signerName=1:s keyType=2:s maxExpirationSeconds=3:*i32 credentialBundlePath=4:s keyPath=5:s ' +
    'certificateChainPath=6:s userAnnotations=7:{}s user=8:*i64',
  'core.v1.PodSpec':
    'volumes=1:[]core.v1.Volume initContainers=20:[]core.v1.Container ' +
    'containers=2:[]core.v1.Container! ephemeralContainers=34:[]core.v1.EphemeralContainer ' +
    'restartPolicy=3:s terminationGracePeriodSeconds=4:*i64 activeDeadlineSeconds=5:*i64 ' +
    'dnsPolicy=6:s nodeSelector=7:{}s serviceAccountName=8:s serviceAccount=9:s ' +
    'automountServiceAccountToken=21:*b nodeName=10:s hostNetwork=11:b hostPID=12:b hostIPC=13:b ' +
    'shareProcessNamespace=27:*b securityContext=14:*core.v1.PodSecurityContext ' +
    'imagePullSecrets=15:[]core.v1.LocalObjectReference hostname=16:s subdomain=17:s ' +
    'affinity=18:*core.v1.Affinity schedulerName=19:s tolerations=22:[]core.v1.Toleration ' +
    'hostAliases=23:[]core.v1.HostAlias priorityClassName=24:s priority=25:*i32 ' +
    'dnsConfig=26:*core.v1.PodDNSConfig readinessGates=28:[]core.v1.PodReadinessGate ' +
    'runtimeClassName=29:*s enableServiceLinks=30:*b preemptionPolicy=31:*s overhead=32:{}qty ' +
    'topologySpreadConstraints=33:[]core.v1.TopologySpreadConstraint setHostnameAsFQDN=35:*b ' +
    'os=36:*core.v1.PodOS hostUsers=37:*b schedulingGates=38:[]core.v1.PodSchedulingGate ' +
    'resourceClaims=39:[]core.v1.PodResourceClaim resources=40:*core.v1.ResourceRequirements ' +
    'hostnameOverride=41:*s schedulingGroup=43:*core.v1.PodSchedulingGroup ' +
    'evictionResponders=44:[]core.v1.EvictionResponder',
  'core.v1.PodStatus':
    'observedGeneration=17:i64 phase=1:s conditions=2:[]core.v1.PodCondition message=3:s ' +
    'reason=4:s nominatedNodeName=11:s hostIP=5:s hostIPs=16:[]core.v1.HostIP podIP=6:s ' +
    'podIPs=12:[]core.v1.PodIP startTime=7:*time ' +
    'initContainerStatuses=10:[]core.v1.ContainerStatus ' +
    'containerStatuses=8:[]core.v1.ContainerStatus qosClass=9:s ' +
    'ephemeralContainerStatuses=13:[]core.v1.ContainerStatus resize=14:s ' +
    'resourceClaimStatuses=15:[]core.v1.PodResourceClaimStatus ' +
    'extendedResourceClaimStatus=18:*core.v1.PodExtendedResourceClaimStatus ' +
    'allocatedResources=19:{}qty resources=20:*core.v1.ResourceRequirements ' +
    'nodeAllocatableResourceClaimStatuses=21:[]core.v1.NodeAllocatableResourceClaimStatus ' +
    'volumeHealth=22:[]core.v1.PodVolumeHealth',
  'core.v1.PodVolumeHealth':
    'name=1:s! healthConditions=2:[]core.v1.VolumeHealthCondition lastTransitionTime=3:time',
  'core.v1.ProjectedVolumeSource':
    'sources=1:[]core.v1.VolumeProjection! defaultMode=2:*i32 defaultUser=3:*i64',
  'core.v1.SecretVolumeSource':
    'secretName=1:s items=2:[]core.v1.KeyToPath defaultMode=3:*i32 optional=4:*b defaultUser=5:*i64',
  'core.v1.ServiceAccountTokenProjection': 'audience=1:s expirationSeconds=2:*i64 path=3:s! user=4:*i64',
  'core.v1.VolumeHealthCondition': 'status=1:s! reason=2:s! message=3:s',
  'core.v1.VolumeHealthStatus':
    'healthConditions=1:[]core.v1.VolumeHealthCondition lastTransitionTime=2:time',
  'core.v1.VolumeMount':
    'name=1:s! readOnly=2:b recursiveReadOnly=7:*s mountPath=3:s! subPath=4:s ' +
    'mountPropagation=5:*s subPathExpr=6:s bindMountOptions=8:[]s',
  'scheduling.v1.TopologyConstraint': 'key=1:s!',
  'scheduling.v1.WorkloadPodGroupAllDisruptionMode': '',
  'scheduling.v1.WorkloadPodGroupBasicSchedulingPolicy': '',
  'scheduling.v1.WorkloadPodGroupDisruptionMode':
    'single=1:*scheduling.v1.WorkloadPodGroupSingleDisruptionMode ' +
    'all=2:*scheduling.v1.WorkloadPodGroupAllDisruptionMode',
  'scheduling.v1.WorkloadPodGroupGangSchedulingPolicy': 'minCount=1:*i32',
  'scheduling.v1.WorkloadPodGroupResourceClaim':
    'name=1:s! resourceClaimName=2:*s resourceClaimTemplateName=3:*s',
  'scheduling.v1.WorkloadPodGroupSchedulingConstraints': 'topology=1:[]scheduling.v1.TopologyConstraint',
  'scheduling.v1.WorkloadPodGroupSchedulingPolicy':
    'basic=1:*scheduling.v1.WorkloadPodGroupBasicSchedulingPolicy ' +
    'gang=2:*scheduling.v1.WorkloadPodGroupGangSchedulingPolicy',
  'scheduling.v1.WorkloadPodGroupSingleDisruptionMode': '',
};
