// Text of the files a lab host carries: kubeadm-like manifests, etcd.conf and unit, sshd_config, the
// host's init script and tool wrappers.
import { initialCluster } from '../inventory/resolve.js';
import { FALLBACK_BINDS, HOST_BINDS } from './paths.js';
import { inetdCommand, memberSshdExtra, opsUserScript } from './access.js';
import { dockerBoot, ETCD_IMAGE } from './modes.js';
import { sh, type Script } from '../shell/sh.js';
import {
  DEFAULT_ETCD_VERSION,
  ROOT_ACCESS,
  type EtcdVersion,
  type LabAccess,
  type LabMember,
  type LabMode,
} from './types.js';

const PKI = '/etc/kubernetes/pki';

/**
 * The flags kubeadm adds for an etcd line: 1.33 and older wrote the experimental names (3.5); 1.34+ write their 3.6
 * successors (a feature gate and the graduated flag), the only form etcd 3.7 starts with.
 */
export function kubeadmEtcdExtras(version: EtcdVersion = DEFAULT_ETCD_VERSION): Record<string, string> {
  return version === '3.5'
    ? { 'experimental-initial-corrupt-check': 'true', 'experimental-watch-progress-notify-interval': '5s' }
    : { 'feature-gates': 'InitialCorruptCheck=true', 'watch-progress-notify-interval': '5s' };
}

/**
 * /etc/kubernetes/manifests/etcd.yaml as kubeadm writes it for the etcd line, listening on the host's address only
 * (hosts share one network).
 */
export function etcdManifest(
  m: LabMember,
  members: LabMember[],
  image = ETCD_IMAGE,
  version: EtcdVersion = DEFAULT_ETCD_VERSION,
): string {
  const extras = Object.entries(kubeadmEtcdExtras(version)).map(([k, v]) => `--${k}=${v}`);
  const flags = [
    `--advertise-client-urls=${m.clientURL}`,
    `--cert-file=${PKI}/etcd/server.crt`,
    '--client-cert-auth=true',
    '--data-dir=/var/lib/etcd',
    `--initial-advertise-peer-urls=${m.peerURL}`,
    `--initial-cluster=${initialCluster(members)}`,
    '--initial-cluster-state=new',
    `--key-file=${PKI}/etcd/server.key`,
    `--listen-client-urls=${m.clientURL}`,
    `--listen-metrics-urls=http://${m.address}:2381`,
    `--listen-peer-urls=${m.peerURL}`,
    `--name=${m.name}`,
    `--peer-cert-file=${PKI}/etcd/peer.crt`,
    '--peer-client-cert-auth=true',
    `--peer-key-file=${PKI}/etcd/peer.key`,
    `--peer-trusted-ca-file=${PKI}/etcd/ca.crt`,
    '--snapshot-count=10000',
    `--trusted-ca-file=${PKI}/etcd/ca.crt`,
    ...extras,
  ].sort();
  return `apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/etcd.advertise-client-urls: ${m.clientURL}
  creationTimestamp: null
  labels:
    component: etcd
    tier: control-plane
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
${flags.map((f) => `    - ${f}`).join('\n')}
    image: ${image}
    imagePullPolicy: IfNotPresent
    livenessProbe:
      failureThreshold: 8
      httpGet:
        host: ${m.address}
        path: /health
        port: 2381
        scheme: HTTP
    name: etcd
    resources:
      requests:
        cpu: 100m
        memory: 100Mi
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
    - mountPath: ${PKI}/etcd
      name: etcd-certs
  hostNetwork: true
  priority: 2000001000
  priorityClassName: system-node-critical
  securityContext:
    seccompProfile:
      type: RuntimeDefault
  volumes:
  - hostPath:
      path: ${PKI}/etcd
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
status: {}
`;
}

/**
 * kube-apiserver.yaml: the real flags that matter to etcd recovery; `kube-apiserver` on the host is the
 * lab's stand-in.
 */
export function apiserverManifest(m: LabMember, leases = false): string {
  const flags = [
    `--advertise-address=${m.address}`,
    ...(leases ? ['--endpoint-reconciler-type=lease'] : []),
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    `--client-ca-file=${PKI}/ca.crt`,
    `--etcd-cafile=${PKI}/etcd/ca.crt`,
    `--etcd-certfile=${PKI}/apiserver-etcd-client.crt`,
    `--etcd-keyfile=${PKI}/apiserver-etcd-client.key`,
    `--etcd-servers=${m.clientURL}`,
    '--secure-port=6443',
    '--service-cluster-ip-range=10.96.0.0/12',
    `--tls-cert-file=${PKI}/apiserver.crt`,
    `--tls-private-key-file=${PKI}/apiserver.key`,
  ];
  return `apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: ${m.address}:6443
  creationTimestamp: null
  labels:
    component: kube-apiserver
    tier: control-plane
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
${flags.map((f) => `    - ${f}`).join('\n')}
    image: registry.k8s.io/kube-apiserver:v1.28.15
    imagePullPolicy: IfNotPresent
    name: kube-apiserver
    resources:
      requests:
        cpu: 250m
    volumeMounts:
    - mountPath: ${PKI}
      name: k8s-certs
      readOnly: true
  hostNetwork: true
  priority: 2000001000
  priorityClassName: system-node-critical
  volumes:
  - hostPath:
      path: ${PKI}
      type: DirectoryOrCreate
    name: k8s-certs
status: {}
`;
}

/** /etc/etcd/etcd.conf in the OpenShift 3 layout, with the same version-specific settings as kubeadm's manifest. */
export function etcdConf(
  m: LabMember,
  members: LabMember[],
  version: EtcdVersion = DEFAULT_ETCD_VERSION,
): string {
  const extras = Object.entries(kubeadmEtcdExtras(version))
    .map(([k, v]) => `ETCD_${k.toUpperCase().replace(/-/g, '_')}=${v}\n`)
    .join('');
  return `# [member]
ETCD_NAME=${m.name}
ETCD_DATA_DIR=/var/lib/etcd
ETCD_LISTEN_PEER_URLS=${m.peerURL}
ETCD_LISTEN_CLIENT_URLS=${m.clientURL}
ETCD_LISTEN_METRICS_URLS=http://${m.address}:2381
#
# [cluster]
ETCD_INITIAL_ADVERTISE_PEER_URLS=${m.peerURL}
ETCD_INITIAL_CLUSTER=${initialCluster(members)}
ETCD_INITIAL_CLUSTER_STATE=new
ETCD_INITIAL_CLUSTER_TOKEN=etcd-cluster-1
ETCD_ADVERTISE_CLIENT_URLS=${m.clientURL}
#
# [security]
ETCD_CERT_FILE=/etc/etcd/server.crt
ETCD_KEY_FILE=/etc/etcd/server.key
ETCD_CLIENT_CERT_AUTH=true
ETCD_TRUSTED_CA_FILE=/etc/etcd/ca.crt
ETCD_PEER_CERT_FILE=/etc/etcd/peer.crt
ETCD_PEER_KEY_FILE=/etc/etcd/peer.key
ETCD_PEER_CLIENT_CERT_AUTH=true
ETCD_PEER_TRUSTED_CA_FILE=/etc/etcd/ca.crt
#
# [features]
${extras}`;
}

// etcd 3.4 refuses a flag that shadows an ETCD_* variable, so ExecStart passes none: etcd.conf carries all config.
export const ETCD_UNIT = `[Unit]
Description=Etcd Server
After=network.target
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
WorkingDirectory=/var/lib/etcd/
EnvironmentFile=-/etc/etcd/etcd.conf
User=etcd
# set GOMAXPROCS to number of processors
ExecStart=/bin/bash -c "GOMAXPROCS=$(nproc) /usr/bin/etcd"
Restart=on-failure
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;

export function sshdConfig(
  m: LabMember,
  hostDir: string,
  authorizedKeys: string,
  access: LabAccess = ROOT_ACCESS,
): string {
  return `# sshd of lab host ${m.name}: its own address, host key and authorized key; root by key only.
ListenAddress ${m.address}:22
HostKey ${hostDir}/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
${memberSshdExtra(access)}PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile ${authorizedKeys}
StrictModes no
UsePAM no
UseDNS no
PrintMotd no
AcceptEnv LANG LC_*
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
`;
}

export const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What initScript is given: the host, its mode and access, and where the lab's programs are. */
interface InitOptions {
  labId: string;
  member: LabMember;
  mode: LabMode;
  hostDir: string;
  node: string;
  standins: string;
  etcdOwner: string;
  authorizedKeys: string;
  members?: LabMember[];
  access?: LabAccess;
  noEtcdctl?: boolean;
  /** etcd image tag (docker mode). */
  etcdImage?: string;
  /** Folder with this lab's etcd, etcdctl (and etcdutl): laid over the host's /usr/bin. */
  etcdBin?: string;
}

/** sshd of the host: on its address, or (jump) only in the bastion's private network (fd 3), its sessions run here. */
function sshdLine(o: InitOptions, access: LabAccess): Script {
  const H = o.hostDir;
  if (!access.jump) return sh`/usr/sbin/sshd -D -f ${H}/sshd_config -E ${H}/log/sshd.log &`;
  const inetd = inetdCommand({
    node: o.node,
    standins: o.standins,
    listen: `${o.member.address}:22`,
    execNet: '/proc/1/ns/net',
    log: `${H}/log/sshd.log`,
    sshdConfig: `${H}/sshd_config`,
  });
  return sh`nsenter --net=/proc/self/fd/3 ${inetd} &`;
}

/** The host's daemon: the kubelet stand-in (static-pod), the docker containers, or the systemd stand-in. */
function daemonLine(o: InitOptions): Script {
  const H = o.hostDir;
  const logs = sh`--state ${H}/state --logs ${H}/log`;
  if (o.mode === 'static-pod') {
    const kubelet = sh`${o.node} ${o.standins}/kubelet.js --manifests /etc/kubernetes/manifests`;
    return sh`${kubelet} ${logs} --node ${o.member.name} >>${H}/log/kubelet.log 2>&1 &`;
  }
  if (o.mode === 'docker')
    return sh.lines(
      sh`${dockerBoot(o.member, o.members ?? [o.member], o.etcdImage)} >>${H}/log/docker-boot.log 2>&1`,
      sh`sleep infinity &`,
    );
  const socket = '/run/systemd/lifeboat.sock';
  return sh`${o.node} ${o.standins}/systemd.js ${logs} --socket ${socket} >>${H}/log/systemd.log 2>&1 &`;
}

/** No etcdctl on this host (as on kubeadm nodes where only the etcd image has it): its PATH entry an empty file. */
function hideEtcdctl(H: string): Script {
  const file = `${H}/state/no-etcdctl`;
  const say = sh`printf '# hidden by lifeboat lab: no etcdctl on this host\\n'`;
  return sh`${say} >${file} && chmod 0644 ${file} && mount --bind ${file} /usr/bin/etcdctl`;
}

/**
 * The host's pid 1: hostname, private /run (its tmpfs is the lab's marker), its own /etc and /var/lib
 * layers and folders, sshd and kubelet or systemd stand-in.
 */
export function initScript(o: InitOptions): string {
  const H = o.hostDir;
  const access = o.access ?? ROOT_ACCESS;
  const tag = `${o.labId}-${o.member.name}`;
  const extra = sh.lines(
    o.etcdBin ? etcdBinMount(o.etcdBin, tag) : false,
    access.sudo && opsUserScript(H, o.member.address, o.member.name, o.authorizedKeys),
    o.noEtcdctl && hideEtcdctl(H),
  );
  const fallback = FALLBACK_BINDS.map((p) => sh`  mkdir -p ${p} && mount --bind ${H}/root${p} ${p}`);
  const binds = HOST_BINDS.map((p) => sh`mount --bind ${H}/bind${p} ${p}`);
  const overlay = (name: string, dir: string) => {
    const dirs = `lowerdir=${dir},upperdir=${H}/root${dir},workdir=${H}/work${dir}`;
    return sh`mount -t overlay lbovl-${tag}-${name} -o ${dirs} ${dir} 2>/dev/null`;
  };
  return sh`#!/bin/bash
# pid 1 of lab host ${o.member.name} (own mount, UTS and pid namespaces); lifeboat lab down stops it by pid.
set -eu
export PATH=${HOST_PATH} HOME=/root LANG=C.UTF-8
hostname ${o.member.name}
mount -t tmpfs -o mode=0755 lifeboat-${tag} /run
mkdir -p /run/sshd /run/systemd
# /etc and /var/lib: the machine's, with this host's own changes on top.
if ${overlay('etc', '/etc')} &&
   ${overlay('varlib', '/var/lib')}; then
  # A plain directory of this host (not merged with the machine's), so it can be moved aside like on a node;
  # made at the first boot only: after a reboot (lab reboot) the host's data is where it was.
  if [ ! -e ${H}/state/first-boot-done ]; then
    rm -rf /var/lib/etcd && mkdir -m 0700 /var/lib/etcd && chown ${o.etcdOwner} /var/lib/etcd
    touch ${H}/state/first-boot-done
  fi
  echo overlay >${H}/state/fs-mode
else
  mountpoint -q /etc && umount /etc
${sh.lines(fallback)}
  echo bind >${H}/state/fs-mode
fi
${sh.lines(binds)}
# Root's home of this host, as on a fresh node: not the machine's (whose shell start-up files are not a node's).
mkdir -p ${H}/home-root && chmod 0700 ${H}/home-root && mount --bind ${H}/home-root /root
${extra}
cd /
set +e
${sshdLine(o, access)}
echo $! >${H}/state/sshd.pid
exec 3<&-
${daemonLine(o)}
echo $! >${H}/state/daemon.pid
# pid 1 of a pid namespace: on TERM, pass it to every process of the host, then leave (the kernel kills the rest).
trap 'kill -TERM -1 2>/dev/null; sleep 1; exit 0' TERM INT
echo up >${H}/state/init.ready
while :; do sleep 3600 & wait $!; done
`.text;
}

/**
 * The lab's etcd release as /usr/bin/etcd, etcdctl, etcdutl: a read-only overlay over /usr/bin, else
 * bind mounts per file.
 */
function etcdBinMount(bin: string, tag: string): Script {
  const binds = sh.join(
    ['etcd', 'etcdctl'].map(
      (t) => sh`[ -e /usr/bin/${t} ] && [ -e ${bin}/${t} ] && mount --bind ${bin}/${t} /usr/bin/${t}`,
    ),
    '; ',
  );
  return sh`mount -t overlay lbovl-${tag}-usrbin -o lowerdir=${bin}:/usr/bin /usr/bin 2>/dev/null || { ${binds}; }`;
}

/** A wrapper in the host's /usr/local/sbin that runs a stand-in under the name of the real tool. */
export function wrapper(node: string, script: string, args: string[] = []): string {
  return sh`#!/bin/sh\n# lifeboat lab stand-in (see docs/lab.md)\nexec ${node} ${script} ${args} "$@"\n`.text;
}

/** The control-plane components besides the API server whose caches a restore must drop (lab stand-ins). */
export const KUBE_COMPONENTS = ['kube-controller-manager', 'kube-scheduler'] as const;
export type KubeComponent = (typeof KUBE_COMPONENTS)[number];
const confOf = (c: KubeComponent) =>
  `/etc/kubernetes/${c === 'kube-scheduler' ? 'scheduler' : 'controller-manager'}.conf`;

/** kubeadm's controller-manager.conf / scheduler.conf: the API server on this host (no client cert in the lab). */
export function componentKubeconfig(m: LabMember, c: KubeComponent): { path: string; text: string } {
  const user = c === 'kube-scheduler' ? 'system:kube-scheduler' : 'system:kube-controller-manager';
  return {
    path: confOf(c),
    text: `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: ${PKI}/ca.crt
    server: https://${m.address}:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: ${user}
  name: ${user}@kubernetes
current-context: ${user}@kubernetes
users:
- name: ${user}
  user: {}
`,
  };
}

/** kube-controller-manager.yaml / kube-scheduler.yaml as kubeadm writes them (the flags that matter here). */
export function componentManifest(c: KubeComponent): string {
  const conf = confOf(c);
  const flags = [`--kubeconfig=${conf}`, '--bind-address=127.0.0.1', '--leader-elect=true'];
  return `apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    component: ${c}
    tier: control-plane
  name: ${c}
  namespace: kube-system
spec:
  containers:
  - command:
    - ${c}
${flags.map((f) => `    - ${f}`).join('\n')}
    image: registry.k8s.io/${c}:v1.28.15
    imagePullPolicy: IfNotPresent
    name: ${c}
    volumeMounts:
    - mountPath: ${conf}
      name: kubeconfig
      readOnly: true
  hostNetwork: true
  priority: 2000001000
  priorityClassName: system-node-critical
  volumes:
  - hostPath:
      path: ${conf}
      type: FileOrCreate
    name: kubeconfig
status: {}
`;
}

/** systemd mode (OpenShift 3's layout): the components' kubeconfigs. */
export const UNIT_CONF_DIR = '/etc/origin/master';

/** systemd mode: the component as a unit (as on hosts that run the control plane outside kubelet). */
export function componentUnit(c: KubeComponent): string {
  return (
    `[Unit]
Description=${c} (lifeboat lab stand-in)
After=network.target

[Service]
ExecStart=/usr/local/sbin/${c} --kubeconfig=${UNIT_CONF_DIR}/${c}.kubeconfig ` +
    `--bind-address=127.0.0.1 --leader-elect=true

[Install]
WantedBy=multi-user.target
`
  );
}
