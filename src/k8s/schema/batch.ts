// Message table for batch/v1 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const BATCH: MessageTable = {
  'batch.CronJob': 'metadata=1:meta.ObjectMeta spec=2:batch.CronJobSpec status=3:batch.CronJobStatus',
  'batch.CronJobSpec':
    'schedule=1:s! timeZone=8:*s startingDeadlineSeconds=2:*i64 concurrencyPolicy=3:s suspend=4:*b jobTemplate=5:batch.JobTemplateSpec! successfulJobsHistoryLimit=6:*i32 failedJobsHistoryLimit=7:*i32',
  'batch.CronJobStatus':
    'active=1:[]core.ObjectReference lastScheduleTime=4:*time lastSuccessfulTime=5:*time',
  'batch.Job': 'metadata=1:meta.ObjectMeta spec=2:batch.JobSpec status=3:batch.JobStatus',
  'batch.JobCondition':
    'type=1:s! status=2:s! lastProbeTime=3:time lastTransitionTime=4:time reason=5:s message=6:s',
  'batch.JobSchedulingConfiguration':
    'schedulingPolicy=1:*sched.WorkloadPodGroupSchedulingPolicy schedulingConstraints=2:*sched.WorkloadPodGroupSchedulingConstraints disruptionMode=3:*sched.WorkloadPodGroupDisruptionMode resourceClaims=4:[]sched.WorkloadPodGroupResourceClaim',
  'batch.JobSpec':
    'parallelism=1:*i32 completions=2:*i32 activeDeadlineSeconds=3:*i64 podFailurePolicy=11:*batch.PodFailurePolicy successPolicy=16:*batch.SuccessPolicy backoffLimit=7:*i32 backoffLimitPerIndex=12:*i32 maxFailedIndexes=13:*i32 selector=4:*meta.LabelSelector manualSelector=5:*b template=6:core.PodTemplateSpec! ttlSecondsAfterFinished=8:*i32 completionMode=9:*s suspend=10:*b podReplacementPolicy=14:*s managedBy=15:*s scheduling=17:*batch.JobSchedulingConfiguration',
  'batch.JobStatus':
    'conditions=1:[]batch.JobCondition startTime=2:*time completionTime=3:*time active=4:i32 succeeded=5:i32 failed=6:i32 terminating=11:*i32 completedIndexes=7:s failedIndexes=10:*s uncountedTerminatedPods=8:*batch.UncountedTerminatedPods ready=9:*i32',
  'batch.JobTemplateSpec': 'metadata=1:meta.ObjectMeta spec=2:batch.JobSpec',
  'batch.PodFailurePolicy': 'rules=1:[]batch.PodFailurePolicyRule!',
  'batch.PodFailurePolicyOnExitCodesRequirement': 'containerName=1:*s operator=2:s! values=3:[]i32!',
  'batch.PodFailurePolicyOnPodConditionsPattern': 'type=1:s! status=2:s!',
  'batch.PodFailurePolicyRule':
    'action=1:s! onExitCodes=2:*batch.PodFailurePolicyOnExitCodesRequirement onPodConditions=3:[]batch.PodFailurePolicyOnPodConditionsPattern',
  'batch.SuccessPolicy': 'rules=1:[]batch.SuccessPolicyRule!',
  'batch.SuccessPolicyRule': 'succeededIndexes=1:*s succeededCount=2:*i32',
  'batch.UncountedTerminatedPods': 'succeeded=1:[]s failed=2:[]s',
};
