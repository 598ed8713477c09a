// The registry: every message table, and the kinds we know (apiVersion/kind -> message, etcd key path).
import { parseMessage, type Message, type MessageTable } from './types.js';
import { APIEXT } from './apiext.js';
import { APPS } from './apps.js';
import { BATCH } from './batch.js';
import { COORD } from './coord.js';
import { CORE } from './core.js';
import { META } from './meta.js';
import { NET } from './net.js';
import { RBAC } from './rbac.js';
import { SCHED } from './sched.js';

const TABLE: MessageTable = {
  ...META,
  ...CORE,
  ...APPS,
  ...BATCH,
  ...RBAC,
  ...NET,
  ...COORD,
  ...APIEXT,
  ...SCHED,
};
const compiled = new Map<string, Message>();

export function message(name: string): Message {
  let m = compiled.get(name);
  if (m) return m;
  const spec = TABLE[name];
  if (spec === undefined) throw new Error(`schema: no message ${name}`);
  m = parseMessage(name, spec);
  compiled.set(name, m);
  return m;
}

export const messageNames = (): string[] => Object.keys(TABLE);

export interface KindInfo {
  apiVersion: string;
  kind: string;
  message: string;
  /** Path segment(s) after /registry/ where kube-apiserver stores this resource. */
  resource: string;
  namespaced: boolean;
}

const k = (
  apiVersion: string,
  kind: string,
  message: string,
  resource: string,
  namespaced = true,
): KindInfo => ({ apiVersion, kind, message, resource, namespaced });

/** Grows by adding a row (and its message table). */
export const KINDS: KindInfo[] = [
  k('v1', 'Namespace', 'core.Namespace', 'namespaces', false),
  k('v1', 'ConfigMap', 'core.ConfigMap', 'configmaps'),
  k('v1', 'Secret', 'core.Secret', 'secrets'),
  k('v1', 'Service', 'core.Service', 'services/specs'),
  k('v1', 'Endpoints', 'core.Endpoints', 'services/endpoints'),
  k('v1', 'ServiceAccount', 'core.ServiceAccount', 'serviceaccounts'),
  k('v1', 'Pod', 'core.Pod', 'pods'),
  k('v1', 'Node', 'core.Node', 'minions', false),
  k('v1', 'PersistentVolume', 'core.PersistentVolume', 'persistentvolumes', false),
  k('v1', 'PersistentVolumeClaim', 'core.PersistentVolumeClaim', 'persistentvolumeclaims'),
  k('v1', 'Event', 'core.Event', 'events'),
  k('apps/v1', 'Deployment', 'apps.Deployment', 'deployments'),
  k('apps/v1', 'StatefulSet', 'apps.StatefulSet', 'statefulsets'),
  k('apps/v1', 'DaemonSet', 'apps.DaemonSet', 'daemonsets'),
  k('apps/v1', 'ReplicaSet', 'apps.ReplicaSet', 'replicasets'),
  k('batch/v1', 'Job', 'batch.Job', 'jobs'),
  k('batch/v1', 'CronJob', 'batch.CronJob', 'cronjobs'),
  k('rbac.authorization.k8s.io/v1', 'Role', 'rbac.Role', 'roles'),
  k('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rbac.RoleBinding', 'rolebindings'),
  k('rbac.authorization.k8s.io/v1', 'ClusterRole', 'rbac.ClusterRole', 'clusterroles', false),
  k(
    'rbac.authorization.k8s.io/v1',
    'ClusterRoleBinding',
    'rbac.ClusterRoleBinding',
    'clusterrolebindings',
    false,
  ),
  k('networking.k8s.io/v1', 'Ingress', 'net.Ingress', 'ingress'),
  k('coordination.k8s.io/v1', 'Lease', 'coord.Lease', 'leases'),
  k(
    'apiextensions.k8s.io/v1',
    'CustomResourceDefinition',
    'apiext.CustomResourceDefinition',
    'apiextensions.k8s.io/customresourcedefinitions',
    false,
  ),
];

export function kindFor(apiVersion: string, kind: string): KindInfo | undefined {
  return KINDS.find((x) => x.apiVersion === apiVersion && x.kind === kind);
}

/** Case-insensitive lookup by kind, plural resource or short resource name (for --kind). */
export function kindByName(name: string): KindInfo | undefined {
  const n = name.toLowerCase();
  return KINDS.find(
    (x) => x.kind.toLowerCase() === n || x.resource.split('/').pop() === n || x.resource === n,
  );
}
