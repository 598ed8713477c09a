// --seed-data: >1,000 realistic Kubernetes objects under /registry, stored as kube-apiserver stores them (protobuf `k8s\0` envelope; CRD and custom objects as JSON).
import { encodeStoredObject } from '../k8s/encode.js';
import { EtcdClient } from './grpc.js';
import { writeManifest } from './data.js';
import type { Lab } from './types.js';

type Obj = Record<string, unknown>;
export interface SeedObject {
  key: string;
  object: Obj;
  /** protobuf: encodeStoredObject (k8s\0 + runtime.Unknown); json: JSON text, as Kubernetes stores CRDs and custom resources. */
  encoding: 'protobuf' | 'json';
}

export const SEED_NAMESPACES = [
  'team-a',
  'team-b',
  'team-c',
  'team-d',
  'team-e',
  'payments',
  'search',
  'monitoring',
  'ingress',
  'batch',
];
export const CRD_GROUP = 'lifeboat.example.com';
const SYSTEM_NS = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

// Deterministic: the same lab seed every time (uids, timestamps, data), so tests can rebuild the objects.
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedObjects(): SeedObject[] {
  const r = rng(20240611);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
  const uid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  let t = Date.parse('2024-06-11T08:00:00Z');
  const ts = () => new Date((t += 1000 + Math.floor(r() * 60_000))).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const meta = (name: string, namespace: string | null, labels: Record<string, string> = {}): Obj => ({
    name,
    ...(namespace ? { namespace } : {}),
    uid: uid(),
    creationTimestamp: ts(),
    ...(Object.keys(labels).length ? { labels } : {}),
  });
  const out: SeedObject[] = [];
  const pb = (key: string, object: Obj) => out.push({ key, object, encoding: 'protobuf' });

  for (const ns of [...SYSTEM_NS, ...SEED_NAMESPACES]) {
    pb(`/registry/namespaces/${ns}`, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: meta(ns, null, { 'kubernetes.io/metadata.name': ns }),
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
  pb('/registry/services/specs/default/kubernetes', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('kubernetes', 'default', { component: 'apiserver', provider: 'kubernetes' }),
    spec: {
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
      clusterIP: '10.96.0.1',
      clusterIPs: ['10.96.0.1'],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  });
  for (const name of ['kube-root-ca.crt', 'coredns', 'kube-proxy', 'kubeadm-config', 'kubelet-config']) {
    pb(`/registry/configmaps/kube-system/${name}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(name, 'kube-system'),
      data: { [name.endsWith('.crt') ? 'ca.crt' : 'config']: `# ${name}\n${hex(64)}\n` },
    });
  }

  let ip = 10;
  for (const ns of SEED_NAMESPACES) {
    const apps = Array.from({ length: 8 }, (_, i) => `${ns}-app-${i + 1}`);
    for (let i = 0; i < 45; i++) {
      const app = apps[i % apps.length]!;
      pb(`/registry/configmaps/${ns}/${app}-config-${i}`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(`${app}-config-${i}`, ns, { app }),
        data: {
          'application.yaml': `server:\n  port: ${8000 + i}\nlogLevel: info\nfeature.flag.${i}: ${r() < 0.5}\n`,
          revision: String(i),
        },
      });
    }
    for (let i = 0; i < 20; i++) {
      const app = apps[i % apps.length]!;
      pb(`/registry/secrets/${ns}/${app}-secret-${i}`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta(`${app}-secret-${i}`, ns, { app }),
        data: {
          username: Buffer.from(`svc-${app}`).toString('base64'),
          password: Buffer.from(hex(24)).toString('base64'),
        },
        type: 'Opaque',
      });
    }
    for (const app of apps) {
      const labels = { app };
      const clusterIP = `10.96.${ip}.${10 + (ip % 200)}`;
      ip++;
      pb(`/registry/services/specs/${ns}/${app}`, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(app, ns, labels),
        spec: {
          ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
          selector: labels,
          clusterIP,
          clusterIPs: [clusterIP],
          type: 'ClusterIP',
          sessionAffinity: 'None',
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          internalTrafficPolicy: 'Cluster',
        },
        status: { loadBalancer: {} },
      });
      const container = {
        name: 'app',
        image: `registry.example.com/${ns}/${app}:1.${Math.floor(r() * 20)}.${Math.floor(r() * 10)}`,
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'APP_NAME', value: app }],
        resources: { limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      };
      pb(`/registry/deployments/${ns}/${app}`, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          ...meta(app, ns, labels),
          generation: 1,
          annotations: { 'deployment.kubernetes.io/revision': '1' },
        },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [container],
              restartPolicy: 'Always',
              terminationGracePeriodSeconds: 30,
              dnsPolicy: 'ClusterFirst',
              schedulerName: 'default-scheduler',
            },
          },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
        },
        status: {
          observedGeneration: 1,
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
        },
      });
      for (let p = 0; p < 2; p++) {
        const pod = `${app}-${hex(10)}-${hex(5)}`;
        pb(`/registry/pods/${ns}/${pod}`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            ...meta(pod, ns, { ...labels, 'pod-template-hash': hex(10) }),
            generateName: `${app}-`,
          },
          spec: {
            containers: [container],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
            serviceAccountName: 'default',
            nodeName: `cp-${1 + (p % 3)}`,
            schedulerName: 'default-scheduler',
          },
          status: {
            phase: 'Running',
            podIP: `10.244.${ip % 250}.${10 + p}`,
            hostIP: `192.168.0.${11 + (p % 3)}`,
          },
        });
      }
    }
  }

  // A CRD and its custom objects: Kubernetes stores both as JSON.
  const plural = 'backupschedules';
  out.push({
    key: `/registry/apiextensions.k8s.io/customresourcedefinitions/${plural}.${CRD_GROUP}`,
    encoding: 'json',
    object: {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: meta(`${plural}.${CRD_GROUP}`, null),
      spec: {
        group: CRD_GROUP,
        names: { plural, singular: 'backupschedule', kind: 'BackupSchedule', listKind: 'BackupScheduleList' },
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
                    properties: { schedule: { type: 'string' }, retention: { type: 'integer' } },
                  },
                },
              },
            },
          },
        ],
        conversion: { strategy: 'None' },
      },
      status: {
        acceptedNames: {
          plural,
          singular: 'backupschedule',
          kind: 'BackupSchedule',
          listKind: 'BackupScheduleList',
        },
        storedVersions: ['v1'],
      },
    },
  });
  for (const ns of SEED_NAMESPACES) {
    for (let i = 0; i < 6; i++) {
      const name = `nightly-${i}`;
      out.push({
        key: `/registry/${CRD_GROUP}/${plural}/${ns}/${name}`,
        encoding: 'json',
        object: {
          apiVersion: `${CRD_GROUP}/v1`,
          kind: 'BackupSchedule',
          metadata: { ...meta(name, ns), generation: 1 },
          spec: { schedule: `${i * 7} 2 * * *`, retention: 7 + i },
        },
      });
    }
  }
  return out;
}

export function encodeSeed(o: SeedObject): Uint8Array {
  return o.encoding === 'protobuf'
    ? encodeStoredObject(o.object)
    : Buffer.from(JSON.stringify(o.object) + '\n');
}

/** Writes the seed objects through one member (64 puts in flight) and the data manifest; returns the number of keys. */
export async function seedLab(lab: Lab): Promise<number> {
  const objs = seedObjects();
  const values = objs.map((o) => ({ key: o.key, value: encodeSeed(o) }));
  const m = lab.members[0]!;
  const c = new EtcdClient(m.clientURL, lab.client);
  try {
    let next = 0;
    const worker = async () => {
      while (next < values.length) {
        const v = values[next++]!;
        await c.put(v.key, v.value, 10_000);
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
  } finally {
    c.close();
  }
  const manifest = await writeManifest(lab);
  return manifest.count;
}
