// The docker and k3s-external lab modes: what their hosts carry (see docs/lab.md and docs/platforms.md).
//
// docker (the RKE layout): etcd in a container named `etcd` (RKE's flags as container arguments, a named volume
// `etcd-data`, host network), kube-apiserver in a container named `kube-apiserver`, certs in /etc/kubernetes/ssl
// (RKE's names), all run by the docker stand-in. k3s-external (k3s on an external etcd): the systemd layout (etcd.conf, etcd.service as
// the etcd user) plus a k3s server unit /etc/systemd/system/k3s.service whose --datastore-endpoint names the etcd
// members, run by the systemd stand-in (`k3s` is a stand-in that serves the API server stand-in's health).
import { chmodSync, copyFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue } from './pki.js';
import { initialCluster } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
import type { LabMember } from './types.js';

export const DOCKER_SSL = '/etc/kubernetes/ssl';
/** Where docker keeps the etcd-data volume (001: `docker volume inspect etcd-data` → Mountpoint). */
export const DOCKER_DATA = '/var/lib/docker/volumes/etcd-data/_data';
export const ETCD_IMAGE = 'registry.k8s.io/etcd:3.4.23-0';
/** The kubeadm image tag of an etcd release (e.g. 3.5.16 -> registry.k8s.io/etcd:3.5.16-0). */
export const etcdImageOf = (release: string) => `registry.k8s.io/etcd:${release}-0`;
export const APISERVER_IMAGE = 'rancher/hyperkube:v1.28.15-rancher1';
export const K3S_UNIT_PATH = '/etc/systemd/system/k3s.service';
export const K3S_TLS = '/var/lib/rancher/k3s/server/tls';
export const K3S_CLIENT = '/etc/rancher/k3s';

const dashed = (a: string) => a.replace(/\./g, '-');
/** RKE's per-node etcd cert (server and peer in one, as RKE issues it), named after the address the host was built
 *  with (a moved host keeps the files; its cert is re-issued in place). */
export const dockerTls = (m: LabMember) => ({
  ca: `${DOCKER_SSL}/kube-ca.pem`,
  cert: `${DOCKER_SSL}/kube-etcd-${dashed(m.builtAt ?? m.address)}.pem`,
  key: `${DOCKER_SSL}/kube-etcd-${dashed(m.builtAt ?? m.address)}-key.pem`,
});

type Ca = { crt: string; key: string };

/** Issues a cert under RKE's names: NAME.pem and NAME-key.pem. */
async function issuePem(
  ca: Ca,
  dir: string,
  name: string,
  spec: { cn: string; ips?: string[]; dns?: string[]; server: boolean; client: boolean },
): Promise<void> {
  await issue(ca, { out: join(dir, name), ...spec });
  renameSync(join(dir, `${name}.crt`), join(dir, `${name}.pem`));
  renameSync(join(dir, `${name}.key`), join(dir, `${name}-key.pem`));
}

export async function dockerHostFiles(
  p: (path: string) => string,
  m: LabMember,
  cas: { etcd: Ca; kube: Ca },
  caPem: string,
): Promise<void> {
  const ssl = p(DOCKER_SSL);
  mkdirSync(ssl, { recursive: true });
  writeFileSync(join(ssl, 'kube-ca.pem'), caPem);
  // RKE's one kube-ca signs etcd and the API server; its key on the node lets readdress re-issue certs there.
  copyFileSync(cas.etcd.key, join(ssl, 'kube-ca-key.pem'));
  chmodSync(join(ssl, 'kube-ca-key.pem'), 0o600);
  await Promise.all([
    issuePem(cas.etcd, ssl, `kube-etcd-${dashed(m.address)}`, {
      cn: `kube-etcd-${dashed(m.address)}`,
      ips: [m.address, '127.0.0.1'],
      dns: [m.name, 'localhost'],
      server: true,
      client: true,
    }),
    issuePem(cas.etcd, ssl, 'kube-node', { cn: 'system:node', server: false, client: true }),
    issuePem(cas.etcd, ssl, 'kube-apiserver', {
      cn: 'kube-apiserver',
      ips: [m.address],
      dns: [m.name, 'kubernetes'],
      server: true,
      client: false,
    }),
  ]);
}

/** `docker run` of the etcd container as RKE runs it (flags as arguments), with 001's named volume. */
export function etcdRun(m: LabMember, members: LabMember[], image = ETCD_IMAGE): Script {
  const t = dockerTls(m);
  const args = [
    `--name=${m.name}`,
    '--data-dir=/var/lib/rancher/etcd',
    `--listen-client-urls=${m.clientURL}`,
    `--advertise-client-urls=${m.clientURL}`,
    `--listen-peer-urls=${m.peerURL}`,
    `--initial-advertise-peer-urls=${m.peerURL}`,
    `--initial-cluster=${initialCluster(members)}`,
    '--initial-cluster-state=new',
    '--initial-cluster-token=etcd-cluster-1',
    `--listen-metrics-urls=http://${m.address}:2381`,
    `--trusted-ca-file=${t.ca}`,
    `--cert-file=${t.cert}`,
    `--key-file=${t.key}`,
    '--client-cert-auth=true',
    `--peer-trusted-ca-file=${t.ca}`,
    `--peer-cert-file=${t.cert}`,
    `--peer-key-file=${t.key}`,
    '--peer-client-cert-auth=true',
  ];
  const volumes = sh`-v etcd-data:/var/lib/rancher/etcd -v ${DOCKER_SSL}:${DOCKER_SSL}:ro`;
  return sh.join(
    [
      sh`docker run -d --name etcd --restart unless-stopped --network host ${volumes} ${image}`,
      sh`/usr/local/bin/etcd ${args}`,
    ],
    ' ',
  );
}

export function apiserverRun(m: LabMember, members: LabMember[]): Script {
  const args = [
    `--advertise-address=${m.address}`,
    `--etcd-servers=${members.map((x) => x.clientURL).join(',')}`,
    `--etcd-cafile=${DOCKER_SSL}/kube-ca.pem`,
    `--etcd-certfile=${DOCKER_SSL}/kube-node.pem`,
    `--etcd-keyfile=${DOCKER_SSL}/kube-node-key.pem`,
    '--secure-port=6443',
    `--tls-cert-file=${DOCKER_SSL}/kube-apiserver.pem`,
    `--tls-private-key-file=${DOCKER_SSL}/kube-apiserver-key.pem`,
  ];
  const run = sh`docker run -d --name kube-apiserver --restart unless-stopped --network host`;
  return sh`${run} -v ${DOCKER_SSL}:${DOCKER_SSL}:ro ${APISERVER_IMAGE} kube-apiserver ${args}`;
}

/**
 * docker mode's boot: first boot creates the containers; later boots start those whose restart policy
 * says so (dockerd does).
 */
export function dockerBoot(m: LabMember, members: LabMember[], image = ETCD_IMAGE): Script {
  const policy = sh`"$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' $c 2>/dev/null)"`;
  return sh.lines(
    sh`# docker mode: containers as dockerd would have them after boot`,
    sh`if docker inspect etcd >/dev/null 2>&1; then`,
    sh`  for c in etcd kube-apiserver; do [ ${policy} = unless-stopped ] && docker start $c >/dev/null; done`,
    sh`else`,
    sh`  ${etcdRun(m, members, image)} >/dev/null`,
    sh`  ${apiserverRun(m, members)} >/dev/null`,
    sh`fi`,
  );
}

/** The kube-apiserver "image": its program runs the API server stand-in. */
export function apiserverImage(imagesDir: string, node: string, standins: string): void {
  const bin = join(imagesDir, 'kube-apiserver', 'usr', 'local', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'kube-apiserver'),
    sh`#!/bin/sh\n# lifeboat lab stand-in (see docs/lab.md)\nexec ${node} ${standins}/apiserver.js "$@"\n`
      .text,
  );
  chmodSync(join(bin, 'kube-apiserver'), 0o755);
}

/** 001's k3s.service, as k3s's installer writes it, with --datastore-endpoint naming every etcd member. */
export function k3sUnit(m: LabMember, members: LabMember[]): string {
  const args = [
    'server',
    "'--datastore-endpoint'",
    `'${members.map((x) => x.clientURL).join(',')}'`,
    `'--datastore-cafile=/etc/etcd/ca.crt'`,
    `'--datastore-certfile=${K3S_CLIENT}/etcd-client.crt'`,
    `'--datastore-keyfile=${K3S_CLIENT}/etcd-client.key'`,
    `'--advertise-address=${m.address}'`,
    `'--tls-san=${m.address}'`,
  ];
  return `[Unit]
Description=Lightweight Kubernetes
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=notify
KillMode=process
Delegate=yes
LimitNOFILE=1048576
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStart=/usr/local/sbin/k3s \\
${args.map((a, i) => `    ${i ? '    ' : ''}${a}${i < args.length - 1 ? ' \\' : ''}`).join('\n')}
`;
}

export async function k3sHostFiles(
  p: (path: string) => string,
  m: LabMember,
  members: LabMember[],
  cas: { etcd: Ca; kube: Ca },
): Promise<void> {
  mkdirSync(p(K3S_TLS), { recursive: true });
  mkdirSync(p(K3S_CLIENT), { recursive: true });
  // k3s keeps its server CA beside the serving certs it signs (server-ca.crt/key).
  copyFileSync(cas.kube.crt, join(p(K3S_TLS), 'server-ca.crt'));
  copyFileSync(cas.kube.key, join(p(K3S_TLS), 'server-ca.key'));
  chmodSync(join(p(K3S_TLS), 'server-ca.key'), 0o600);
  await Promise.all([
    issue(cas.kube, {
      out: join(p(K3S_TLS), 'serving-kube-apiserver'),
      cn: 'kube-apiserver',
      ips: [m.address],
      dns: [m.name, 'kubernetes'],
      server: true,
      client: false,
    }),
    issue(cas.etcd, {
      out: join(p(K3S_CLIENT), 'etcd-client'),
      cn: 'k3s-datastore',
      server: false,
      client: true,
    }),
  ]);
  writeFileSync(p(K3S_UNIT_PATH), k3sUnit(m, members));
  mkdirSync(p('/etc/systemd/system/multi-user.target.wants'), { recursive: true });
  symlinkSync(K3S_UNIT_PATH, p('/etc/systemd/system/multi-user.target.wants/k3s.service'));
}
