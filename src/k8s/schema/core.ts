// Message table for core/v1 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const CORE: MessageTable = {
  'core.AWSElasticBlockStoreVolumeSource': 'volumeID=1:s! fsType=2:s partition=3:i32 readOnly=4:b',
  'core.Affinity':
    'nodeAffinity=1:*core.NodeAffinity podAffinity=2:*core.PodAffinity podAntiAffinity=3:*core.PodAntiAffinity',
  'core.AppArmorProfile': 'type=1:s! localhostProfile=2:*s',
  'core.AttachedVolume': 'name=1:s! devicePath=2:s!',
  'core.AzureDiskVolumeSource':
    'diskName=1:s! diskURI=2:s! cachingMode=3:*s fsType=4:*s readOnly=5:*b kind=6:*s',
  'core.AzureFilePersistentVolumeSource': 'secretName=1:s! shareName=2:s! readOnly=3:b secretNamespace=4:*s!',
  'core.AzureFileVolumeSource': 'secretName=1:s! shareName=2:s! readOnly=3:b',
  'core.CSIPersistentVolumeSource':
    'driver=1:s! volumeHandle=2:s! readOnly=3:b fsType=4:s volumeAttributes=5:{}s controllerPublishSecretRef=6:*core.SecretReference nodeStageSecretRef=7:*core.SecretReference nodePublishSecretRef=8:*core.SecretReference controllerExpandSecretRef=9:*core.SecretReference nodeExpandSecretRef=10:*core.SecretReference',
  'core.CSIVolumeSource':
    'driver=1:s! readOnly=2:*b fsType=3:*s volumeAttributes=4:{}s nodePublishSecretRef=5:*core.LocalObjectReference',
  'core.Capabilities': 'add=1:[]s drop=2:[]s',
  'core.CephFSPersistentVolumeSource':
    'monitors=1:[]s! path=2:s user=3:s secretFile=4:s secretRef=5:*core.SecretReference readOnly=6:b',
  'core.CephFSVolumeSource':
    'monitors=1:[]s! path=2:s user=3:s secretFile=4:s secretRef=5:*core.LocalObjectReference readOnly=6:b',
  'core.CinderPersistentVolumeSource':
    'volumeID=1:s! fsType=2:s readOnly=3:b secretRef=4:*core.SecretReference',
  'core.CinderVolumeSource': 'volumeID=1:s! fsType=2:s readOnly=3:b secretRef=4:*core.LocalObjectReference',
  'core.ClientIPConfig': 'timeoutSeconds=1:*i32',
  'core.ClusterTrustBundleProjection':
    'name=1:*s signerName=2:*s labelSelector=3:*meta.LabelSelector optional=5:*b path=4:s! user=6:*i64',
  'core.ConfigMap': 'metadata=1:meta.ObjectMeta immutable=4:*b data=2:{}s binaryData=3:{}by',
  'core.ConfigMapEnvSource': 'localObjectReference=1:core.LocalObjectReference^ optional=2:*b',
  'core.ConfigMapKeySelector': 'localObjectReference=1:core.LocalObjectReference^ key=2:s! optional=3:*b',
  'core.ConfigMapNodeConfigSource':
    'namespace=1:s! name=2:s! uid=3:s resourceVersion=4:s kubeletConfigKey=5:s!',
  'core.ConfigMapProjection':
    'localObjectReference=1:core.LocalObjectReference^ items=2:[]core.KeyToPath optional=4:*b',
  'core.ConfigMapVolumeSource':
    'localObjectReference=1:core.LocalObjectReference^ items=2:[]core.KeyToPath defaultMode=3:*i32 optional=4:*b defaultUser=5:*i64',
  'core.Container':
    'name=1:s! image=2:s command=3:[]s args=4:[]s workingDir=5:s ports=6:[]core.ContainerPort envFrom=19:[]core.EnvFromSource env=7:[]core.EnvVar resources=8:core.ResourceRequirements resizePolicy=23:[]core.ContainerResizePolicy restartPolicy=24:*s restartPolicyRules=25:[]core.ContainerRestartRule volumeMounts=9:[]core.VolumeMount volumeDevices=21:[]core.VolumeDevice livenessProbe=10:*core.Probe readinessProbe=11:*core.Probe startupProbe=22:*core.Probe lifecycle=12:*core.Lifecycle terminationMessagePath=13:s terminationMessagePolicy=20:s imagePullPolicy=14:s securityContext=15:*core.SecurityContext stdin=16:b stdinOnce=17:b tty=18:b',
  'core.ContainerExtendedResourceRequest': 'containerName=1:s! resourceName=2:s! requestName=3:s!',
  'core.ContainerImage': 'names=1:[]s! sizeBytes=2:i64',
  'core.ContainerPort': 'name=1:s hostPort=2:i32 containerPort=3:i32! protocol=4:s hostIP=5:s',
  'core.ContainerResizePolicy': 'resourceName=1:s! restartPolicy=2:s!',
  'core.ContainerRestartRule': 'action=1:s exitCodes=2:*core.ContainerRestartRuleOnExitCodes',
  'core.ContainerRestartRuleOnExitCodes': 'operator=1:s values=2:[]i32',
  'core.ContainerState':
    'waiting=1:*core.ContainerStateWaiting running=2:*core.ContainerStateRunning terminated=3:*core.ContainerStateTerminated',
  'core.ContainerStateRunning': 'startedAt=1:time',
  'core.ContainerStateTerminated':
    'exitCode=1:i32! signal=2:i32 reason=3:s message=4:s startedAt=5:time finishedAt=6:time containerID=7:s',
  'core.ContainerStateWaiting': 'reason=1:s message=2:s',
  'core.ContainerStatus':
    'name=1:s! state=2:core.ContainerState lastState=3:core.ContainerState ready=4:b! restartCount=5:i32! image=6:s! imageID=7:s! containerID=8:s started=9:*b allocatedResources=10:{}qty resources=11:*core.ResourceRequirements volumeMounts=12:[]core.VolumeMountStatus user=13:*core.ContainerUser allocatedResourcesStatus=14:[]core.ResourceStatus stopSignal=15:*s',
  'core.ContainerUser': 'linux=1:*core.LinuxContainerUser',
  'core.DaemonEndpoint': 'Port=1:i32!',
  'core.DownwardAPIProjection': 'items=1:[]core.DownwardAPIVolumeFile',
  'core.DownwardAPIVolumeFile':
    'path=1:s! fieldRef=2:*core.ObjectFieldSelector resourceFieldRef=3:*core.ResourceFieldSelector mode=4:*i32 user=5:*i64',
  'core.DownwardAPIVolumeSource':
    'items=1:[]core.DownwardAPIVolumeFile defaultMode=2:*i32 defaultUser=3:*i64',
  'core.EmptyDirVolumeSource': 'medium=1:s sizeLimit=2:*qty mode=3:*i32',
  'core.EndpointAddress': 'ip=1:s! hostname=3:s nodeName=4:*s targetRef=2:*core.ObjectReference',
  'core.EndpointPort': 'name=1:s port=2:i32! protocol=3:s appProtocol=4:*s',
  'core.EndpointSubset':
    'addresses=1:[]core.EndpointAddress notReadyAddresses=2:[]core.EndpointAddress ports=3:[]core.EndpointPort',
  'core.Endpoints': 'metadata=1:meta.ObjectMeta subsets=2:[]core.EndpointSubset',
  'core.EnvFromSource':
    'prefix=1:s configMapRef=2:*core.ConfigMapEnvSource secretRef=3:*core.SecretEnvSource',
  'core.EnvVar': 'name=1:s! value=2:s valueFrom=3:*core.EnvVarSource',
  'core.EnvVarSource':
    'fieldRef=1:*core.ObjectFieldSelector resourceFieldRef=2:*core.ResourceFieldSelector configMapKeyRef=3:*core.ConfigMapKeySelector secretKeyRef=4:*core.SecretKeySelector fileKeyRef=5:*core.FileKeySelector',
  'core.EphemeralContainer':
    'ephemeralContainerCommon=1:core.EphemeralContainerCommon^ targetContainerName=2:s',
  'core.EphemeralContainerCommon':
    'name=1:s! image=2:s command=3:[]s args=4:[]s workingDir=5:s ports=6:[]core.ContainerPort envFrom=19:[]core.EnvFromSource env=7:[]core.EnvVar resources=8:core.ResourceRequirements resizePolicy=23:[]core.ContainerResizePolicy restartPolicy=24:*s restartPolicyRules=25:[]core.ContainerRestartRule volumeMounts=9:[]core.VolumeMount volumeDevices=21:[]core.VolumeDevice livenessProbe=10:*core.Probe readinessProbe=11:*core.Probe startupProbe=22:*core.Probe lifecycle=12:*core.Lifecycle terminationMessagePath=13:s terminationMessagePolicy=20:s imagePullPolicy=14:s securityContext=15:*core.SecurityContext stdin=16:b stdinOnce=17:b tty=18:b',
  'core.EphemeralVolumeSource': 'volumeClaimTemplate=1:*core.PersistentVolumeClaimTemplate',
  'core.Event':
    'metadata=1:meta.ObjectMeta! involvedObject=2:core.ObjectReference! reason=3:s message=4:s source=5:core.EventSource firstTimestamp=6:time lastTimestamp=7:time count=8:i32 type=9:s eventTime=10:mtime series=11:*core.EventSeries action=12:s related=13:*core.ObjectReference reportingComponent=14:s! reportingInstance=15:s!',
  'core.EventSeries': 'count=1:i32 lastObservedTime=2:mtime',
  'core.EventSource': 'component=1:s host=2:s',
  'core.EvictionResponder': 'name=1:s! priority=2:*i32!',
  'core.ExecAction': 'command=1:[]s',
  'core.FCVolumeSource': 'targetWWNs=1:[]s lun=2:*i32 fsType=3:s readOnly=4:b wwids=5:[]s',
  'core.FileKeySelector': 'volumeName=1:s! path=2:s! key=3:s! optional=4:*b',
  'core.FlexPersistentVolumeSource':
    'driver=1:s! fsType=2:s secretRef=3:*core.SecretReference readOnly=4:b options=5:{}s',
  'core.FlexVolumeSource':
    'driver=1:s! fsType=2:s secretRef=3:*core.LocalObjectReference readOnly=4:b options=5:{}s',
  'core.FlockerVolumeSource': 'datasetName=1:s datasetUUID=2:s',
  'core.GCEPersistentDiskVolumeSource': 'pdName=1:s! fsType=2:s partition=3:i32 readOnly=4:b',
  'core.GRPCAction': 'port=1:i32! service=2:*s! mode=3:*s',
  'core.GitRepoVolumeSource': 'repository=1:s! revision=2:s directory=3:s',
  'core.GlusterfsPersistentVolumeSource': 'endpoints=1:s! path=2:s! readOnly=3:b endpointsNamespace=4:*s',
  'core.GlusterfsVolumeSource': 'endpoints=1:s! path=2:s! readOnly=3:b',
  'core.HTTPGetAction':
    'path=1:s port=2:ios! host=3:s scheme=4:s httpHeaders=5:[]core.HTTPHeader protocol=6:*s',
  'core.HTTPHeader': 'name=1:s! value=2:s!',
  'core.HostAlias': 'ip=1:s! hostnames=2:[]s',
  'core.HostIP': 'ip=1:s!',
  'core.HostPathVolumeSource': 'path=1:s! type=2:*s',
  'core.ISCSIPersistentVolumeSource':
    'targetPortal=1:s! iqn=2:s! lun=3:i32! iscsiInterface=4:s fsType=5:s readOnly=6:b portals=7:[]s chapAuthDiscovery=8:b chapAuthSession=11:b secretRef=10:*core.SecretReference initiatorName=12:*s',
  'core.ISCSIVolumeSource':
    'targetPortal=1:s! iqn=2:s! lun=3:i32! iscsiInterface=4:s fsType=5:s readOnly=6:b portals=7:[]s chapAuthDiscovery=8:b chapAuthSession=11:b secretRef=10:*core.LocalObjectReference initiatorName=12:*s',
  'core.ImageVolumeSource': 'reference=1:s pullPolicy=2:s',
  'core.ImageVolumeStatus': 'imageRef=1:s',
  'core.KeyToPath': 'key=1:s! path=2:s! mode=3:*i32 user=4:*i64',
  'core.Lifecycle': 'postStart=1:*core.LifecycleHandler preStop=2:*core.LifecycleHandler stopSignal=3:*s',
  'core.LifecycleHandler':
    'exec=1:*core.ExecAction httpGet=2:*core.HTTPGetAction tcpSocket=3:*core.TCPSocketAction sleep=4:*core.SleepAction',
  'core.LinuxContainerUser': 'uid=1:i64! gid=2:i64! supplementalGroups=3:[]i64',
  'core.LoadBalancerIngress': 'ip=1:s hostname=2:s ipMode=3:*s ports=4:[]core.PortStatus',
  'core.LoadBalancerStatus': 'ingress=1:[]core.LoadBalancerIngress',
  'core.LocalObjectReference': 'name=1:s',
  'core.LocalVolumeSource': 'path=1:s! fsType=2:*s',
  'core.ModifyVolumeStatus': 'targetVolumeAttributesClassName=1:s status=2:s!',
  'core.NFSVolumeSource': 'server=1:s! path=2:s! readOnly=3:b',
  'core.Namespace': 'metadata=1:meta.ObjectMeta spec=2:core.NamespaceSpec status=3:core.NamespaceStatus',
  'core.NamespaceCondition': 'type=1:s! status=2:s! lastTransitionTime=4:time reason=5:s message=6:s',
  'core.NamespaceSpec': 'finalizers=1:[]s',
  'core.NamespaceStatus': 'phase=1:s conditions=2:[]core.NamespaceCondition',
  'core.Node': 'metadata=1:meta.ObjectMeta spec=2:core.NodeSpec status=3:core.NodeStatus',
  'core.NodeAddress': 'type=1:s! address=2:s!',
  'core.NodeAffinity':
    'requiredDuringSchedulingIgnoredDuringExecution=1:*core.NodeSelector preferredDuringSchedulingIgnoredDuringExecution=2:[]core.PreferredSchedulingTerm',
  'core.NodeAllocatableMappedResources': 'name=1:s! quantity=2:*qty!',
  'core.NodeAllocatableOverheadResources': 'name=1:s! perPod=2:*qty perContainer=3:*qty',
  'core.NodeAllocatableResourceClaimStatus':
    'resourceClaimName=1:s! containers=2:[]s mapping=4:[]core.NodeAllocatableMappedResources overhead=5:[]core.NodeAllocatableOverheadResources',
  'core.NodeCondition':
    'type=1:s! status=2:s! lastHeartbeatTime=3:time lastTransitionTime=4:time reason=5:s message=6:s',
  'core.NodeConfigSource': 'configMap=2:*core.ConfigMapNodeConfigSource',
  'core.NodeConfigStatus':
    'assigned=1:*core.NodeConfigSource active=2:*core.NodeConfigSource lastKnownGood=3:*core.NodeConfigSource error=4:s',
  'core.NodeDaemonEndpoints': 'kubeletEndpoint=1:core.DaemonEndpoint',
  'core.NodeFeatures': 'supplementalGroupsPolicy=1:*b',
  'core.NodePodPreemptionPolicy': 'disableResizePreemption=1:[]s',
  'core.NodeRuntimeHandler': 'name=1:s! features=2:*core.NodeRuntimeHandlerFeatures',
  'core.NodeRuntimeHandlerFeatures': 'recursiveReadOnlyMounts=1:*b userNamespaces=2:*b',
  'core.NodeSelector': 'nodeSelectorTerms=1:[]core.NodeSelectorTerm!',
  'core.NodeSelectorRequirement': 'key=1:s! operator=2:s! values=3:[]s',
  'core.NodeSelectorTerm':
    'matchExpressions=1:[]core.NodeSelectorRequirement matchFields=2:[]core.NodeSelectorRequirement',
  'core.NodeSpec':
    'podCIDR=1:s podCIDRs=7:[]s providerID=3:s unschedulable=4:b taints=5:[]core.Taint configSource=6:*core.NodeConfigSource externalID=2:s podPreemptionPolicy=8:*core.NodePodPreemptionPolicy',
  'core.NodeStatus':
    'capacity=1:{}qty allocatable=2:{}qty phase=3:s conditions=4:[]core.NodeCondition addresses=5:[]core.NodeAddress daemonEndpoints=6:core.NodeDaemonEndpoints nodeInfo=7:core.NodeSystemInfo images=8:[]core.ContainerImage volumesInUse=9:[]s volumesAttached=10:[]core.AttachedVolume config=11:*core.NodeConfigStatus runtimeHandlers=12:[]core.NodeRuntimeHandler features=13:*core.NodeFeatures declaredFeatures=14:[]s',
  'core.NodeSwapStatus': 'capacity=1:*i64',
  'core.NodeSystemInfo':
    'machineID=1:s! systemUUID=2:s! bootID=3:s! kernelVersion=4:s! osImage=5:s! containerRuntimeVersion=6:s! kubeletVersion=7:s! kubeProxyVersion=8:s! operatingSystem=9:s! architecture=10:s! swap=11:*core.NodeSwapStatus',
  'core.ObjectFieldSelector': 'apiVersion=1:s fieldPath=2:s!',
  'core.ObjectReference':
    'kind=1:s namespace=2:s name=3:s uid=4:s apiVersion=5:s resourceVersion=6:s fieldPath=7:s',
  'core.PersistentVolume':
    'metadata=1:meta.ObjectMeta spec=2:core.PersistentVolumeSpec status=3:core.PersistentVolumeStatus',
  'core.PersistentVolumeClaim':
    'metadata=1:meta.ObjectMeta spec=2:core.PersistentVolumeClaimSpec status=3:core.PersistentVolumeClaimStatus',
  'core.PersistentVolumeClaimCondition':
    'type=1:s! status=2:s! lastProbeTime=3:time lastTransitionTime=4:time reason=5:s message=6:s',
  'core.PersistentVolumeClaimSpec':
    'accessModes=1:[]s selector=4:*meta.LabelSelector resources=2:core.VolumeResourceRequirements volumeName=3:s storageClassName=5:*s volumeMode=6:*s dataSource=7:*core.TypedLocalObjectReference dataSourceRef=8:*core.TypedObjectReference volumeAttributesClassName=9:*s',
  'core.PersistentVolumeClaimStatus':
    'phase=1:s accessModes=2:[]s capacity=3:{}qty conditions=4:[]core.PersistentVolumeClaimCondition allocatedResources=5:{}qty allocatedResourceStatuses=7:{}s currentVolumeAttributesClassName=8:*s modifyVolumeStatus=9:*core.ModifyVolumeStatus healthStatus=10:*core.VolumeHealthStatus',
  'core.PersistentVolumeClaimTemplate': 'metadata=1:meta.ObjectMeta spec=2:core.PersistentVolumeClaimSpec!',
  'core.PersistentVolumeClaimVolumeSource': 'claimName=1:s! readOnly=2:b',
  'core.PersistentVolumeSource':
    'gcePersistentDisk=1:*core.GCEPersistentDiskVolumeSource awsElasticBlockStore=2:*core.AWSElasticBlockStoreVolumeSource hostPath=3:*core.HostPathVolumeSource glusterfs=4:*core.GlusterfsPersistentVolumeSource nfs=5:*core.NFSVolumeSource rbd=6:*core.RBDPersistentVolumeSource iscsi=7:*core.ISCSIPersistentVolumeSource cinder=8:*core.CinderPersistentVolumeSource cephfs=9:*core.CephFSPersistentVolumeSource fc=10:*core.FCVolumeSource flocker=11:*core.FlockerVolumeSource flexVolume=12:*core.FlexPersistentVolumeSource azureFile=13:*core.AzureFilePersistentVolumeSource vsphereVolume=14:*core.VsphereVirtualDiskVolumeSource quobyte=15:*core.QuobyteVolumeSource azureDisk=16:*core.AzureDiskVolumeSource photonPersistentDisk=17:*core.PhotonPersistentDiskVolumeSource portworxVolume=18:*core.PortworxVolumeSource scaleIO=19:*core.ScaleIOPersistentVolumeSource local=20:*core.LocalVolumeSource storageos=21:*core.StorageOSPersistentVolumeSource csi=22:*core.CSIPersistentVolumeSource',
  'core.PersistentVolumeSpec':
    'capacity=1:{}qty persistentVolumeSource=2:core.PersistentVolumeSource^ accessModes=3:[]s claimRef=4:*core.ObjectReference persistentVolumeReclaimPolicy=5:s storageClassName=6:s mountOptions=7:[]s volumeMode=8:*s nodeAffinity=9:*core.VolumeNodeAffinity volumeAttributesClassName=10:*s',
  'core.PersistentVolumeStatus': 'phase=1:s message=2:s reason=3:s lastPhaseTransitionTime=4:*time',
  'core.PhotonPersistentDiskVolumeSource': 'pdID=1:s! fsType=2:s',
  'core.Pod': 'metadata=1:meta.ObjectMeta spec=2:core.PodSpec status=3:core.PodStatus',
  'core.PodAffinity':
    'requiredDuringSchedulingIgnoredDuringExecution=1:[]core.PodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution=2:[]core.WeightedPodAffinityTerm',
  'core.PodAffinityTerm':
    'labelSelector=1:*meta.LabelSelector namespaces=2:[]s topologyKey=3:s! namespaceSelector=4:*meta.LabelSelector matchLabelKeys=5:[]s mismatchLabelKeys=6:[]s',
  'core.PodAntiAffinity':
    'requiredDuringSchedulingIgnoredDuringExecution=1:[]core.PodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution=2:[]core.WeightedPodAffinityTerm',
  'core.PodCertificateProjection':
    'signerName=1:s keyType=2:s maxExpirationSeconds=3:*i32 credentialBundlePath=4:s keyPath=5:s certificateChainPath=6:s userAnnotations=7:{}s user=8:*i64',
  'core.PodCondition':
    'type=1:s! observedGeneration=7:i64 status=2:s! lastProbeTime=3:time lastTransitionTime=4:time reason=5:s message=6:s',
  'core.PodDNSConfig': 'nameservers=1:[]s searches=2:[]s options=3:[]core.PodDNSConfigOption',
  'core.PodDNSConfigOption': 'name=1:s value=2:*s',
  'core.PodExtendedResourceClaimStatus':
    'requestMappings=1:[]core.ContainerExtendedResourceRequest! resourceClaimName=2:s!',
  'core.PodIP': 'ip=1:s!',
  'core.PodOS': 'name=1:s!',
  'core.PodReadinessGate': 'conditionType=1:s!',
  'core.PodResourceClaim': 'name=1:s! resourceClaimName=3:*s resourceClaimTemplateName=4:*s',
  'core.PodResourceClaimStatus': 'name=1:s! resourceClaimName=2:*s',
  'core.PodSchedulingGate': 'name=1:s!',
  'core.PodSchedulingGroup': 'podGroupName=1:*s',
  'core.PodSecurityContext':
    'seLinuxOptions=1:*core.SELinuxOptions windowsOptions=8:*core.WindowsSecurityContextOptions runAsUser=2:*i64 runAsGroup=6:*i64 runAsNonRoot=3:*b supplementalGroups=4:[]i64 supplementalGroupsPolicy=12:*s fsGroup=5:*i64 sysctls=7:[]core.Sysctl fsGroupChangePolicy=9:*s seccompProfile=10:*core.SeccompProfile appArmorProfile=11:*core.AppArmorProfile seLinuxChangePolicy=13:*s',
  'core.PodSpec':
    'volumes=1:[]core.Volume initContainers=20:[]core.Container containers=2:[]core.Container! ephemeralContainers=34:[]core.EphemeralContainer restartPolicy=3:s terminationGracePeriodSeconds=4:*i64 activeDeadlineSeconds=5:*i64 dnsPolicy=6:s nodeSelector=7:{}s serviceAccountName=8:s serviceAccount=9:s automountServiceAccountToken=21:*b nodeName=10:s hostNetwork=11:b hostPID=12:b hostIPC=13:b shareProcessNamespace=27:*b securityContext=14:*core.PodSecurityContext imagePullSecrets=15:[]core.LocalObjectReference hostname=16:s subdomain=17:s affinity=18:*core.Affinity schedulerName=19:s tolerations=22:[]core.Toleration hostAliases=23:[]core.HostAlias priorityClassName=24:s priority=25:*i32 dnsConfig=26:*core.PodDNSConfig readinessGates=28:[]core.PodReadinessGate runtimeClassName=29:*s enableServiceLinks=30:*b preemptionPolicy=31:*s overhead=32:{}qty topologySpreadConstraints=33:[]core.TopologySpreadConstraint setHostnameAsFQDN=35:*b os=36:*core.PodOS hostUsers=37:*b schedulingGates=38:[]core.PodSchedulingGate resourceClaims=39:[]core.PodResourceClaim resources=40:*core.ResourceRequirements hostnameOverride=41:*s schedulingGroup=43:*core.PodSchedulingGroup evictionResponders=44:[]core.EvictionResponder',
  'core.PodStatus':
    'observedGeneration=17:i64 phase=1:s conditions=2:[]core.PodCondition message=3:s reason=4:s nominatedNodeName=11:s hostIP=5:s hostIPs=16:[]core.HostIP podIP=6:s podIPs=12:[]core.PodIP startTime=7:*time initContainerStatuses=10:[]core.ContainerStatus containerStatuses=8:[]core.ContainerStatus qosClass=9:s ephemeralContainerStatuses=13:[]core.ContainerStatus resize=14:s resourceClaimStatuses=15:[]core.PodResourceClaimStatus extendedResourceClaimStatus=18:*core.PodExtendedResourceClaimStatus allocatedResources=19:{}qty resources=20:*core.ResourceRequirements nodeAllocatableResourceClaimStatuses=21:[]core.NodeAllocatableResourceClaimStatus volumeHealth=22:[]core.PodVolumeHealth',
  'core.PodTemplateSpec': 'metadata=1:meta.ObjectMeta spec=2:core.PodSpec',
  'core.PodVolumeHealth':
    'name=1:s! healthConditions=2:[]core.VolumeHealthCondition lastTransitionTime=3:time',
  'core.PortStatus': 'port=1:i32! protocol=2:s! error=3:*s',
  'core.PortworxVolumeSource': 'volumeID=1:s! fsType=2:s readOnly=3:b',
  'core.PreferredSchedulingTerm': 'weight=1:i32! preference=2:core.NodeSelectorTerm!',
  'core.Probe':
    'handler=1:core.ProbeHandler^ initialDelaySeconds=2:i32 timeoutSeconds=3:i32 periodSeconds=4:i32 successThreshold=5:i32 failureThreshold=6:i32 terminationGracePeriodSeconds=7:*i64',
  'core.ProbeHandler':
    'exec=1:*core.ExecAction httpGet=2:*core.HTTPGetAction tcpSocket=3:*core.TCPSocketAction grpc=4:*core.GRPCAction',
  'core.ProjectedVolumeSource': 'sources=1:[]core.VolumeProjection! defaultMode=2:*i32 defaultUser=3:*i64',
  'core.QuobyteVolumeSource': 'registry=1:s! volume=2:s! readOnly=3:b user=4:s group=5:s tenant=6:s',
  'core.RBDPersistentVolumeSource':
    'monitors=1:[]s! image=2:s! fsType=3:s pool=4:s user=5:s keyring=6:s secretRef=7:*core.SecretReference readOnly=8:b',
  'core.RBDVolumeSource':
    'monitors=1:[]s! image=2:s! fsType=3:s pool=4:s user=5:s keyring=6:s secretRef=7:*core.LocalObjectReference readOnly=8:b',
  'core.ResourceClaim': 'name=1:s! request=2:s',
  'core.ResourceFieldSelector': 'containerName=1:s resource=2:s! divisor=3:qty',
  'core.ResourceHealth': 'resourceID=1:s! health=2:s message=6:*s',
  'core.ResourceRequirements': 'limits=1:{}qty requests=2:{}qty claims=3:[]core.ResourceClaim',
  'core.ResourceStatus': 'name=1:s! resources=2:[]core.ResourceHealth',
  'core.SELinuxOptions': 'user=1:s role=2:s type=3:s level=4:s',
  'core.ScaleIOPersistentVolumeSource':
    'gateway=1:s! system=2:s! secretRef=3:*core.SecretReference! sslEnabled=4:b protectionDomain=5:s storagePool=6:s storageMode=7:s volumeName=8:s fsType=9:s readOnly=10:b',
  'core.ScaleIOVolumeSource':
    'gateway=1:s! system=2:s! secretRef=3:*core.LocalObjectReference! sslEnabled=4:b protectionDomain=5:s storagePool=6:s storageMode=7:s volumeName=8:s fsType=9:s readOnly=10:b',
  'core.SeccompProfile': 'type=1:s! localhostProfile=2:*s',
  'core.Secret': 'metadata=1:meta.ObjectMeta immutable=5:*b data=2:{}by stringData=4:{}s type=3:s',
  'core.SecretEnvSource': 'localObjectReference=1:core.LocalObjectReference^ optional=2:*b',
  'core.SecretKeySelector': 'localObjectReference=1:core.LocalObjectReference^ key=2:s! optional=3:*b',
  'core.SecretProjection':
    'localObjectReference=1:core.LocalObjectReference^ items=2:[]core.KeyToPath optional=4:*b',
  'core.SecretReference': 'name=1:s namespace=2:s',
  'core.SecretVolumeSource':
    'secretName=1:s items=2:[]core.KeyToPath defaultMode=3:*i32 optional=4:*b defaultUser=5:*i64',
  'core.SecurityContext':
    'capabilities=1:*core.Capabilities privileged=2:*b seLinuxOptions=3:*core.SELinuxOptions windowsOptions=10:*core.WindowsSecurityContextOptions runAsUser=4:*i64 runAsGroup=8:*i64 runAsNonRoot=5:*b readOnlyRootFilesystem=6:*b allowPrivilegeEscalation=7:*b procMount=9:*s seccompProfile=11:*core.SeccompProfile appArmorProfile=12:*core.AppArmorProfile',
  'core.Service': 'metadata=1:meta.ObjectMeta spec=2:core.ServiceSpec status=3:core.ServiceStatus',
  'core.ServiceAccount':
    'metadata=1:meta.ObjectMeta secrets=2:[]core.ObjectReference imagePullSecrets=3:[]core.LocalObjectReference automountServiceAccountToken=4:*b',
  'core.ServiceAccountTokenProjection': 'audience=1:s expirationSeconds=2:*i64 path=3:s! user=4:*i64',
  'core.ServicePort': 'name=1:s protocol=2:s appProtocol=6:*s port=3:i32! targetPort=4:ios nodePort=5:i32',
  'core.ServiceSpec':
    'ports=1:[]core.ServicePort selector=2:{}s clusterIP=3:s clusterIPs=18:[]s type=4:s externalIPs=5:[]s sessionAffinity=7:s loadBalancerIP=8:s loadBalancerSourceRanges=9:[]s externalName=10:s externalTrafficPolicy=11:s healthCheckNodePort=12:i32 publishNotReadyAddresses=13:b sessionAffinityConfig=14:*core.SessionAffinityConfig ipFamilies=19:[]s ipFamilyPolicy=17:*s allocateLoadBalancerNodePorts=20:*b loadBalancerClass=21:*s internalTrafficPolicy=22:*s trafficDistribution=23:*s',
  'core.ServiceStatus': 'loadBalancer=1:core.LoadBalancerStatus conditions=2:[]meta.Condition',
  'core.SessionAffinityConfig': 'clientIP=1:*core.ClientIPConfig',
  'core.SleepAction': 'seconds=1:i64!',
  'core.StorageOSPersistentVolumeSource':
    'volumeName=1:s volumeNamespace=2:s fsType=3:s readOnly=4:b secretRef=5:*core.ObjectReference',
  'core.StorageOSVolumeSource':
    'volumeName=1:s volumeNamespace=2:s fsType=3:s readOnly=4:b secretRef=5:*core.LocalObjectReference',
  'core.Sysctl': 'name=1:s! value=2:s!',
  'core.TCPSocketAction': 'port=1:ios! host=2:s',
  'core.Taint': 'key=1:s! value=2:s effect=3:s! timeAdded=4:*time',
  'core.Toleration': 'key=1:s operator=2:s value=3:s effect=4:s tolerationSeconds=5:*i64',
  'core.TopologySpreadConstraint':
    'maxSkew=1:i32! topologyKey=2:s! whenUnsatisfiable=3:s! labelSelector=4:*meta.LabelSelector minDomains=5:*i32 nodeAffinityPolicy=6:*s nodeTaintsPolicy=7:*s matchLabelKeys=8:[]s',
  'core.TypedLocalObjectReference': 'apiGroup=1:*s! kind=2:s! name=3:s!',
  'core.TypedObjectReference': 'apiGroup=1:*s! kind=2:s! name=3:s! namespace=4:*s',
  'core.Volume': 'name=1:s! volumeSource=2:core.VolumeSource^',
  'core.VolumeDevice': 'name=1:s! devicePath=2:s!',
  'core.VolumeHealthCondition': 'status=1:s! reason=2:s! message=3:s',
  'core.VolumeHealthStatus': 'healthConditions=1:[]core.VolumeHealthCondition lastTransitionTime=2:time',
  'core.VolumeMount':
    'name=1:s! readOnly=2:b recursiveReadOnly=7:*s mountPath=3:s! subPath=4:s mountPropagation=5:*s subPathExpr=6:s bindMountOptions=8:[]s',
  'core.VolumeMountStatus':
    'name=1:s! mountPath=2:s! readOnly=3:b recursiveReadOnly=4:*s volumeStatus=5:*core.VolumeStatus',
  'core.VolumeNodeAffinity': 'required=1:*core.NodeSelector',
  'core.VolumeProjection':
    'secret=1:*core.SecretProjection downwardAPI=2:*core.DownwardAPIProjection configMap=3:*core.ConfigMapProjection serviceAccountToken=4:*core.ServiceAccountTokenProjection clusterTrustBundle=5:*core.ClusterTrustBundleProjection podCertificate=6:*core.PodCertificateProjection',
  'core.VolumeResourceRequirements': 'limits=1:{}qty requests=2:{}qty',
  'core.VolumeSource':
    'hostPath=1:*core.HostPathVolumeSource emptyDir=2:*core.EmptyDirVolumeSource gcePersistentDisk=3:*core.GCEPersistentDiskVolumeSource awsElasticBlockStore=4:*core.AWSElasticBlockStoreVolumeSource gitRepo=5:*core.GitRepoVolumeSource secret=6:*core.SecretVolumeSource nfs=7:*core.NFSVolumeSource iscsi=8:*core.ISCSIVolumeSource glusterfs=9:*core.GlusterfsVolumeSource persistentVolumeClaim=10:*core.PersistentVolumeClaimVolumeSource rbd=11:*core.RBDVolumeSource flexVolume=12:*core.FlexVolumeSource cinder=13:*core.CinderVolumeSource cephfs=14:*core.CephFSVolumeSource flocker=15:*core.FlockerVolumeSource downwardAPI=16:*core.DownwardAPIVolumeSource fc=17:*core.FCVolumeSource azureFile=18:*core.AzureFileVolumeSource configMap=19:*core.ConfigMapVolumeSource vsphereVolume=20:*core.VsphereVirtualDiskVolumeSource quobyte=21:*core.QuobyteVolumeSource azureDisk=22:*core.AzureDiskVolumeSource photonPersistentDisk=23:*core.PhotonPersistentDiskVolumeSource projected=26:*core.ProjectedVolumeSource portworxVolume=24:*core.PortworxVolumeSource scaleIO=25:*core.ScaleIOVolumeSource storageos=27:*core.StorageOSVolumeSource csi=28:*core.CSIVolumeSource ephemeral=29:*core.EphemeralVolumeSource image=30:*core.ImageVolumeSource',
  'core.VolumeStatus': 'image=1:*core.ImageVolumeStatus',
  'core.VsphereVirtualDiskVolumeSource':
    'volumePath=1:s! fsType=2:s storagePolicyName=3:s storagePolicyID=4:s',
  'core.WeightedPodAffinityTerm': 'weight=1:i32! podAffinityTerm=2:core.PodAffinityTerm!',
  'core.WindowsSecurityContextOptions':
    'gmsaCredentialSpecName=1:*s gmsaCredentialSpec=2:*s runAsUserName=3:*s hostProcess=4:*b',
};
