// Seed data written through the real API server (`kubectl apply`): built-in kinds that need no node, a CRD and its
// custom objects, and Secrets the API server encrypts at rest; then the data manifest of what etcd holds.
import { stringify } from 'yaml';
import { writeManifest } from './data.js';
import { mustKubectl } from './kubectl.js';
import type { Lab } from './types.js';

/** Every seeded object carries this label, so a test can list exactly the seed set of each kind. */
export const SEED_LABEL = 'lifeboat.example.com/seed';
export const SEED_CRD = 'widgets.lifeboat.example.com';
export const SEED_NS = ['team-a', 'team-b', 'team-c'] as const;

/** The kinds the fixture set holds, as `kubectl get` names them. */
export const SEEDED_KINDS = [
  'namespaces',
  'configmaps',
  'secrets',
  'serviceaccounts',
  'services',
  'deployments.apps',
  'statefulsets.apps',
  'daemonsets.apps',
  'jobs.batch',
  'cronjobs.batch',
  'roles.rbac.authorization.k8s.io',
  'rolebindings.rbac.authorization.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'clusterrolebindings.rbac.authorization.k8s.io',
  'priorityclasses.scheduling.k8s.io',
  'storageclasses.storage.k8s.io',
  'persistentvolumes',
  'persistentvolumeclaims',
  'limitranges',
  'resourcequotas',
  'networkpolicies.networking.k8s.io',
  'poddisruptionbudgets.policy',
  'ingressclasses.networking.k8s.io',
  'ingresses.networking.k8s.io',
  'horizontalpodautoscalers.autoscaling',
  'podtemplates',
  'leases.coordination.k8s.io',
  'customresourcedefinitions.apiextensions.k8s.io',
  `${SEED_CRD}`,
] as const;

type Obj = Record<string, unknown>;
const meta = (name: string, namespace?: string): Obj => ({
  name,
  ...(namespace ? { namespace } : {}),
  labels: { [SEED_LABEL]: 'true', app: name },
});
const container = {
  name: 'app',
  image: 'registry.k8s.io/pause:3.10',
  resources: { requests: { cpu: '1m' } },
};
const podTemplate = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [container] },
});

/** The CRD: a namespaced Widget with a small schema. */
function crd(): Obj {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: meta(SEED_CRD),
    spec: {
      group: 'lifeboat.example.com',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: { size: { type: 'integer' }, colour: { type: 'string' } },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** A namespace and its data: ConfigMaps and Secrets (which the API server encrypts). */
function namespaceData(ns: string, i: number): Obj[] {
  const objs: Obj[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns) }];
  for (let j = 0; j < 5; j++)
    objs.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`config-${j}`, ns),
      data: { n: `${i}-${j}`, text: `value ${j} of ${ns}` },
    });
  for (let j = 0; j < 3; j++)
    objs.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(`secret-${j}`, ns),
      type: 'Opaque',
      stringData: { password: `pw-${ns}-${j}`, token: `tok-${i}${j}` },
    });
  return objs;
}

/** A namespace's workloads: a Service and the controllers that need no node to exist. */
function namespaceWorkloads(ns: string, i: number): Obj[] {
  const app = `web-${i}`;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('builder', ns) },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(app, ns),
      spec: { selector: { app }, ports: [{ port: 80 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(app, ns),
      spec: { replicas: 1, selector: { matchLabels: { app } }, template: podTemplate(app) },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('db', ns),
      spec: {
        replicas: 0,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: podTemplate('db'),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('agent', ns),
      spec: { selector: { matchLabels: { app: 'agent' } }, template: podTemplate('agent') },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('migrate', ns),
      spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [container] } } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('nightly', ns),
      spec: {
        schedule: '0 3 * * *',
        suspend: true,
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [container] } } } },
      },
    },
  ];
}

/** A namespace's RBAC, storage claims and policies. */
function namespaceObjects(ns: string, i: number): Obj[] {
  const app = `web-${i}`;
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('reader', ns),
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('reader', ns),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'builder', namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('data', ns),
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'lab-manual',
        resources: { requests: { storage: '1Gi' } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta('limits', ns),
      spec: { limits: [{ type: 'Container', default: { cpu: '100m' } }] },
    },
    { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta('quota', ns), spec: { hard: { pods: '20' } } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('deny-all', ns),
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(app, ns),
      spec: { minAvailable: 1, selector: { matchLabels: { app } } },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta(app, ns),
      spec: {
        ingressClassName: 'lab',
        rules: [
          {
            host: `${ns}.example.com`,
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: app, port: { number: 80 } } } },
              ],
            },
          },
        ],
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(app, ns),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'PodTemplate',
      metadata: meta('template', ns),
      template: podTemplate('template'),
    },
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: meta('lock', ns),
      spec: { holderIdentity: `holder-${i}`, leaseDurationSeconds: 3600 },
    },
  ];
}

/** The custom objects of one namespace (the CRD's Widgets). */
function widgets(ns: string, i: number): Obj[] {
  const objs: Obj[] = [];
  for (let j = 0; j < 4; j++)
    objs.push({
      apiVersion: 'lifeboat.example.com/v1',
      kind: 'Widget',
      metadata: meta(`widget-${j}`, ns),
      spec: { size: i * 10 + j, colour: ['red', 'green', 'blue', 'grey'][j] },
    });
  return objs;
}

/** Objects of one namespace: a few of each namespaced kind. */
function namespaced(ns: string, i: number): Obj[] {
  return [
    ...namespaceData(ns, i),
    ...namespaceWorkloads(ns, i),
    ...namespaceObjects(ns, i),
    ...widgets(ns, i),
  ];
}

/** Cluster-scoped objects (the CRD apart: it must be established before its objects are created). */
function clusterScoped(): Obj[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta('lab-viewer'),
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta('lab-viewer'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lab-viewer' },
      subjects: [{ kind: 'Group', name: 'lab-viewers', apiGroup: 'rbac.authorization.k8s.io' }],
    },
    {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: meta('lab-high'),
      value: 1000,
      description: 'lab fixture',
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: meta('lab-manual'),
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: meta('lab'),
      spec: { controller: 'example.com/lab' },
    },
    ...[0, 1].map((j) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: meta(`pv-${j}`),
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'lab-manual',
        hostPath: { path: `/srv/pv-${j}` },
      },
    })),
  ];
}

const yamlOf = (objs: Obj[]) => objs.map((obj) => stringify(obj)).join('---\n');

/** The whole fixture set as YAML documents: CRD first, then the rest (kubectl apply takes them in order). */
export function seedFixtures(): { crd: string; objects: string } {
  return {
    crd: yamlOf([crd()]),
    objects: yamlOf([...clusterScoped(), ...SEED_NS.flatMap((ns, i) => namespaced(ns, i))]),
  };
}

/** Applies the fixtures through the API server, then records what etcd holds; returns the number of keys. */
export async function seedThroughApi(lab: Lab): Promise<number> {
  const fixtures = seedFixtures();
  await mustKubectl(lab, ['apply', '-f', '-'], { input: fixtures.crd });
  await mustKubectl(lab, ['wait', '--for=condition=Established', '--timeout=120s', `crd/${SEED_CRD}`]);
  await mustKubectl(lab, ['apply', '-f', '-'], { input: fixtures.objects, timeoutMs: 300_000 });
  return (await writeManifest(lab)).count;
}
