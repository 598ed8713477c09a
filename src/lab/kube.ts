// The real Kubernetes control plane of a lab (--control-plane real): the PKI kubeadm adds for it, the
// EncryptionConfiguration, kubeconfigs, and kube-apiserver / kube-controller-manager / kube-scheduler static pods.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue } from './pki.js';
import { must } from './proc.js';
import { sh } from '../shell/sh.js';
import type { LabMember } from './types.js';

const PKI = '/etc/kubernetes/pki';
/** Where each host keeps the EncryptionConfiguration its API server reads (no kubeadm default exists). */
export const ENCRYPTION_CONFIG = '/etc/kubernetes/encryption/config.yaml';
/** Service CIDR: its first address is the `kubernetes` Service's ClusterIP, in the serving certs' SANs. */
const SERVICE_CIDR = '10.96.0.0/12';
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

type Pem = { crt: string; key: string };
/** One lab's material, the same on every host (API servers must agree on SA keys and encryption keys). */
export interface KubeMaterial {
  version: string;
  bin: string;
  ca: Pem;
  saKey: string;
  saPub: string;
  encryption: string;
  clients: Record<KubeUser, Pem>;
}
const USERS = {
  admin: { cn: 'kubernetes-admin', org: 'system:masters' },
  'kube-controller-manager': { cn: 'system:kube-controller-manager' },
  'kube-scheduler': { cn: 'system:kube-scheduler' },
} as const;
type KubeUser = keyof typeof USERS;

/** aescbc writes Secrets; secretbox (a second key, as after a rotation) and identity still read. */
export function encryptionConfig(aescbc: Buffer, secretbox: Buffer): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources:
  - secrets
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: ${aescbc.toString('base64')}
  - secretbox:
      keys:
      - name: key2
        secret: ${secretbox.toString('base64')}
  - identity: {}
`;
}

/** Service-account key pair, encryption keys and client certs, written under DIR/pki and returned as text. */
export async function makeKubeMaterial(
  pkiDir: string,
  ca: { crt: string; key: string },
  bins: { version: string; bin: string },
): Promise<KubeMaterial> {
  const saKey = join(pkiDir, 'sa.key');
  await must('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', saKey]);
  await must('openssl', ['pkey', '-in', saKey, '-pubout', '-out', join(pkiDir, 'sa.pub')]);
  const encryption = encryptionConfig(randomBytes(32), randomBytes(32));
  writeFileSync(join(pkiDir, 'encryption-config.yaml'), encryption, { mode: 0o600 });
  const users = Object.keys(USERS) as KubeUser[];
  await Promise.all(
    users.map((user) => issue(ca, { out: join(pkiDir, user), ...USERS[user], server: false, client: true })),
  );
  const read = (file: string) => readFileSync(join(pkiDir, file), 'utf8');
  return {
    ...bins,
    ca: { crt: readFileSync(ca.crt, 'utf8'), key: readFileSync(ca.key, 'utf8') },
    saKey: read('sa.key'),
    saPub: read('sa.pub'),
    encryption,
    clients: Object.fromEntries(
      users.map((user) => [user, { crt: read(`${user}.crt`), key: read(`${user}.key`) }]),
    ) as Record<KubeUser, Pem>,
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A kubeconfig with its CA and client cert embedded, as kubeadm writes admin.conf and the components' confs. */
export function kubeconfig(server: string, k: KubeMaterial, user: KubeUser): string {
  const name = USERS[user].cn;
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${b64(k.ca.crt)}
    server: ${server}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: ${name}
  name: ${name}@kubernetes
current-context: ${name}@kubernetes
users:
- name: ${name}
  user:
    client-certificate-data: ${b64(k.clients[user].crt)}
    client-key-data: ${b64(k.clients[user].key)}
`;
}

interface Volume {
  name: string;
  path: string;
  type: 'DirectoryOrCreate' | 'FileOrCreate';
}

/** A control-plane static pod as kubeadm writes it. */
function staticPod(name: string, image: string, flags: string[], volumes: Volume[]): string {
  return `apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    component: ${name}
    tier: control-plane
  name: ${name}
  namespace: kube-system
spec:
  containers:
  - command:
    - ${name}
${flags.map((flag) => `    - ${flag}`).join('\n')}
    image: ${image}
    imagePullPolicy: IfNotPresent
    name: ${name}
    volumeMounts:
${volumes.map((vol) => `    - mountPath: ${vol.path}\n      name: ${vol.name}\n      readOnly: true`).join('\n')}
  hostNetwork: true
  priority: 2000001000
  priorityClassName: system-node-critical
  restartPolicy: Always
  volumes:
${volumes.map((vol) => `  - hostPath:\n      path: ${vol.path}\n      type: ${vol.type}\n    name: ${vol.name}`).join('\n')}
status: {}
`;
}

const certsVolume: Volume = { name: 'k8s-certs', path: PKI, type: 'DirectoryOrCreate' };

/** kube-apiserver.yaml: kubeadm's flags, bound to the host's address (hosts share one network), Secrets encrypted. */
export function realApiserverManifest(m: LabMember, version: string): string {
  const flags = [
    `--advertise-address=${m.address}`,
    `--bind-address=${m.address}`,
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    `--client-ca-file=${PKI}/ca.crt`,
    '--enable-admission-plugins=NodeRestriction',
    '--enable-bootstrap-token-auth=true',
    `--encryption-provider-config=${ENCRYPTION_CONFIG}`,
    '--endpoint-reconciler-type=lease',
    `--etcd-cafile=${PKI}/etcd/ca.crt`,
    `--etcd-certfile=${PKI}/apiserver-etcd-client.crt`,
    `--etcd-keyfile=${PKI}/apiserver-etcd-client.key`,
    `--etcd-servers=${m.clientURL}`,
    '--secure-port=6443',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${PKI}/sa.pub`,
    `--service-account-signing-key-file=${PKI}/sa.key`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    `--tls-cert-file=${PKI}/apiserver.crt`,
    `--tls-private-key-file=${PKI}/apiserver.key`,
  ];
  const enc: Volume = { name: 'encryption', path: '/etc/kubernetes/encryption', type: 'DirectoryOrCreate' };
  return staticPod('kube-apiserver', `registry.k8s.io/kube-apiserver:${version}`, flags, [certsVolume, enc]);
}

/** kube-controller-manager.yaml / kube-scheduler.yaml: kubeadm's flags; serving on the host's address, not 127.0.0.1. */
export function realComponentManifest(
  c: 'kube-controller-manager' | 'kube-scheduler',
  m: LabMember,
  version: string,
): string {
  const conf = `/etc/kubernetes/${c === 'kube-scheduler' ? 'scheduler' : 'controller-manager'}.conf`;
  const common = [
    `--authentication-kubeconfig=${conf}`,
    `--authorization-kubeconfig=${conf}`,
    `--bind-address=${m.address}`,
    `--kubeconfig=${conf}`,
    '--leader-elect=true',
  ];
  const kcm = [
    `--client-ca-file=${PKI}/ca.crt`,
    '--cluster-name=kubernetes',
    `--cluster-signing-cert-file=${PKI}/ca.crt`,
    `--cluster-signing-key-file=${PKI}/ca.key`,
    '--controllers=*,bootstrapsigner,tokencleaner',
    `--root-ca-file=${PKI}/ca.crt`,
    `--service-account-private-key-file=${PKI}/sa.key`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--use-service-account-credentials=true',
  ];
  const flags = c === 'kube-scheduler' ? common : [...common, ...kcm].sort();
  const kubeconf: Volume = { name: 'kubeconfig', path: conf, type: 'FileOrCreate' };
  const vols = c === 'kube-scheduler' ? [kubeconf] : [certsVolume, kubeconf];
  return staticPod(c, `registry.k8s.io/${c}:${version}`, flags, vols);
}

/** The host's files for the real control plane; `p` maps a host path to where it is written before boot. */
export function writeRealControlPlane(m: LabMember, k: KubeMaterial, p: (path: string) => string): void {
  const file = (path: string, text: string) => {
    mkdirSync(p(path.replace(/\/[^/]+$/, '')), { recursive: true });
    writeFileSync(p(path), text, { mode: 0o600 });
  };
  file(`${PKI}/sa.key`, k.saKey);
  file(`${PKI}/sa.pub`, k.saPub);
  file(ENCRYPTION_CONFIG, k.encryption);
  const server = `https://${m.address}:6443`;
  file('/etc/kubernetes/admin.conf', kubeconfig(server, k, 'admin'));
  file('/etc/kubernetes/controller-manager.conf', kubeconfig(server, k, 'kube-controller-manager'));
  file('/etc/kubernetes/scheduler.conf', kubeconfig(server, k, 'kube-scheduler'));
  file('/etc/kubernetes/manifests/kube-apiserver.yaml', realApiserverManifest(m, k.version));
  for (const c of ['kube-controller-manager', 'kube-scheduler'] as const)
    file(`/etc/kubernetes/manifests/${c}.yaml`, realComponentManifest(c, m, k.version));
}

/** The host's /usr/local/sbin entries: each real binary of the machine's cache under its own name. */
export function realToolWrappers(bin: string): Record<string, string> {
  const names = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];
  return Object.fromEntries(
    names.map((n) => [
      n,
      sh`#!/bin/sh\n# lifeboat lab: the real ${n}, built once per machine\nexec ${join(bin, n)} "$@"\n`.text,
    ]),
  );
}
