// Builds one host's own filesystem in the lab folder: kubeadm pki and manifests or etcd.conf and unit,
// sshd config, init script, tool wrappers.
import { confWithQuota, manifestWithQuota } from './incidents.js';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { dockerHostFiles, k3sHostFiles } from './modes.js';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  FALLBACK_BINDS,
  HOST_BINDS,
  HOST_OVERLAYS,
  hostDir,
  hostPath,
  imagesDir,
  logDir,
  stateDir,
  standinsDir,
} from './paths.js';
import { issue, sshKey } from './pki.js';
import {
  apiserverManifest,
  etcdConf,
  etcdManifest,
  ETCD_UNIT,
  initScript,
  sshdConfig,
  wrapper,
  KUBE_COMPONENTS,
  componentKubeconfig,
  componentManifest,
  componentUnit,
  UNIT_CONF_DIR,
} from './render.js';
import type { EtcdVersion, LabAccess, LabMember, LabMode } from './types.js';
import { KUBERNETES_SERVICE_IP, realToolWrappers, writeRealControlPlane, type KubeMaterial } from './kube.js';

export interface Cas {
  etcd: { crt: string; key: string };
  kube: { crt: string; key: string };
}

function etcdUser(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'etcd'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'etcd'], { encoding: 'utf8' }).trim()),
  };
}

/** Writes everything host `m` needs; returns its SSH host public key. */
export interface HostOptions {
  dir: string;
  labId: string;
  mode: LabMode;
  m: LabMember;
  members: LabMember[];
  cas: Cas;
  authorizedKeys: string;
  access?: LabAccess;
  noEtcdctl?: boolean;
  /** The lab's etcd: image tag, the folder laid over /usr/bin, and the line (its configuration follows kubeadm's). */
  etcd?: { image: string; bin?: string; version?: EtcdVersion };
  quotaBytes?: number;
  leases?: boolean;
  bare?: boolean;
  /** --control-plane real: the real kube-apiserver, controller-manager and scheduler instead of the stand-ins. */
  kube?: KubeMaterial;
}

type HostPath = (path: string) => string;

/** The host's own trees: overlay layers and their work dirs, bind sources, state, logs, ssh. */
function makeHostDirs(dir: string, m: LabMember, p: HostPath): void {
  const H = hostDir(dir, m.name);
  for (const d of [...HOST_OVERLAYS, ...HOST_BINDS, ...FALLBACK_BINDS]) mkdirSync(p(d), { recursive: true });
  for (const d of HOST_OVERLAYS) mkdirSync(join(H, 'work', d), { recursive: true });
  for (const d of [stateDir(dir, m.name), logDir(dir, m.name), join(H, 'ssh')])
    mkdirSync(d, { recursive: true });
  chmodSync(p('/var/lib/etcd'), 0o700);
}

/** Hosts share one network namespace, so peer connections leave from 127.0.0.1 and etcd checks the peer cert's SAN
 *  against it (kubeadm's peer certs carry it too). */
const peerIpsOf = (m: LabMember) => [m.address, '127.0.0.1'];

/** etcd's server and peer certs for this member, in `dir`. */
const memberCerts = (o: HostOptions, dir: string) => [
  issue(o.cas.etcd, {
    out: join(dir, 'server'),
    cn: o.m.name,
    ips: [o.m.address],
    dns: [o.m.name],
    server: true,
    client: true,
  }),
  issue(o.cas.etcd, {
    out: join(dir, 'peer'),
    cn: o.m.name,
    ips: peerIpsOf(o.m),
    dns: [o.m.name, 'localhost'],
    server: true,
    client: true,
  }),
];

/** kubeadm's layout: /etc/kubernetes/pki with both CAs and the certs kubeadm issues, the control plane's manifests. */
function staticPodFiles(o: HostOptions, p: HostPath): Array<Promise<void>> {
  const { m } = o;
  const pki = p('/etc/kubernetes/pki');
  mkdirSync(join(pki, 'etcd'), { recursive: true });
  copyFileSync(o.cas.etcd.crt, join(pki, 'etcd', 'ca.crt'));
  copyFileSync(o.cas.etcd.key, join(pki, 'etcd', 'ca.key'));
  copyFileSync(o.cas.kube.crt, join(pki, 'ca.crt'));
  copyFileSync(o.cas.kube.key, join(pki, 'ca.key'));
  const certs = [
    ...memberCerts(o, join(pki, 'etcd')),
    issue(o.cas.etcd, {
      out: join(pki, 'etcd', 'healthcheck-client'),
      cn: 'kube-etcd-healthcheck-client',
      server: false,
      client: true,
    }),
    issue(o.cas.etcd, {
      out: join(pki, 'apiserver-etcd-client'),
      cn: 'kube-apiserver-etcd-client',
      server: false,
      client: true,
    }),
    issue(o.cas.kube, {
      out: join(pki, 'apiserver'),
      cn: 'kube-apiserver',
      ips: [m.address, KUBERNETES_SERVICE_IP],
      dns: [
        m.name,
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
      server: true,
      client: false,
    }),
  ];
  mkdirSync(p('/etc/kubernetes/manifests'), { recursive: true });
  writeFileSync(
    p('/etc/kubernetes/manifests/etcd.yaml'),
    manifestWithQuota(etcdManifest(m, o.members, o.etcd?.image, o.etcd?.version), o.quotaBytes),
    { mode: 0o600 },
  );
  writeFileSync(p('/etc/kubernetes/manifests/kube-apiserver.yaml'), apiserverManifest(m, o.leases), {
    mode: 0o600,
  });
  for (const c of KUBE_COMPONENTS) {
    const k = componentKubeconfig(m, c);
    writeFileSync(p(k.path), k.text, { mode: 0o600 });
    writeFileSync(p(`/etc/kubernetes/manifests/${c}.yaml`), componentManifest(c), { mode: 0o600 });
  }
  if (o.kube) writeRealControlPlane(m, o.kube, p);
  return certs;
}

/** The OpenShift 3 layout (systemd, k3s-external): /etc/etcd with certs, CA and etcd.conf, the enabled etcd unit. */
function systemdFiles(o: HostOptions, p: HostPath): Array<Promise<void>> {
  const { m, mode } = o;
  const certs = mode === 'k3s-external' ? [k3sHostFiles(p, m, o.members, o.cas)] : [];
  const etc = p('/etc/etcd');
  copyFileSync(o.cas.etcd.crt, join(etc, 'ca.crt'));
  // openshift-ansible's etcd_ca_dir (/etc/etcd/ca): the CA that readdress re-issues member certs from.
  mkdirSync(join(etc, 'ca'), { recursive: true, mode: 0o700 });
  copyFileSync(o.cas.etcd.crt, join(etc, 'ca', 'ca.crt'));
  copyFileSync(o.cas.etcd.key, join(etc, 'ca', 'ca.key'));
  chmodSync(join(etc, 'ca', 'ca.key'), 0o600);
  certs.push(...memberCerts(o, etc));
  writeFileSync(join(etc, 'etcd.conf'), confWithQuota(etcdConf(m, o.members, o.etcd?.version), o.quotaBytes));
  writeFileSync(p('/usr/lib/systemd/system/etcd.service'), ETCD_UNIT);
  mkdirSync(p('/etc/systemd/system/etcd.service.d'), { recursive: true });
  mkdirSync(p('/etc/systemd/system/multi-user.target.wants'), { recursive: true });
  symlinkSync(
    '/usr/lib/systemd/system/etcd.service',
    p('/etc/systemd/system/multi-user.target.wants/etcd.service'),
  );
  if (mode === 'systemd') componentUnits(p, m);
  return certs;
}

/** The host's etcd configuration and certs as its mode lays them out (bare: an empty kubeadm layout only). */
function etcdFiles(o: HostOptions, p: HostPath): Array<Promise<void>> {
  if (o.bare) {
    // New machines: the kubeadm layout (an empty manifests dir the kubelet watches), no PKI, no manifests, no data.
    mkdirSync(p('/etc/kubernetes/manifests'), { recursive: true });
    return [];
  }
  if (o.mode === 'static-pod') return staticPodFiles(o, p);
  if (o.mode === 'docker') return [dockerHostFiles(p, o.m, o.cas, readFileSync(o.cas.etcd.crt, 'utf8'))];
  return systemdFiles(o, p);
}

/** The stand-ins on the host's /usr/local/sbin under the names of the real tools its mode has. */
function toolWrappers(o: HostOptions): Record<string, string> {
  const { dir, m, mode } = o;
  const node = process.execPath;
  const S = standinsDir();
  const tools: Record<string, string> =
    mode === 'static-pod'
      ? {
          ...(o.kube
            ? realToolWrappers(o.kube.bin)
            : { 'kube-apiserver': wrapper(node, join(S, 'apiserver.js')), ...componentWrappers(node, S) }),
          crictl: wrapper(node, join(S, 'crictl.js'), [
            '--state',
            stateDir(dir, m.name),
            '--images',
            imagesDir(dir),
          ]),
        }
      : mode === 'docker'
        ? {}
        : {
            systemctl: wrapper(node, join(S, 'systemctl.js'), ['--socket', '/run/systemd/lifeboat.sock']),
            ...(mode === 'systemd' ? componentWrappers(node, S) : {}),
          };
  if (mode === 'k3s-external') tools.k3s = wrapper(node, join(S, 'k3s.js'));
  // docker: a host without etcdctl runs it from the etcd image (docs/procedures.md), so it has docker (the stand-in).
  if (o.noEtcdctl || mode === 'docker')
    tools.docker = wrapper(node, join(S, 'docker.js'), [
      '--images',
      imagesDir(dir),
      '--logs',
      logDir(dir, m.name),
    ]);
  return tools;
}

export async function buildHost(o: HostOptions): Promise<string> {
  const { dir, m, mode } = o;
  const H = hostDir(dir, m.name);
  const p = (path: string) => hostPath(dir, m.name, path);
  makeHostDirs(dir, m, p);
  const pub = sshKey(join(H, 'ssh', 'ssh_host_ed25519_key'), `root@${m.name}`);
  await Promise.all([pub, ...etcdFiles(o, p)]);
  const ownsEtcd = mode === 'systemd' || mode === 'k3s-external';
  if (ownsEtcd) {
    // etcd runs as the etcd user here: it owns its data dir, config and keys (as the RPM sets it up).
    const { uid, gid } = etcdUser();
    for (const f of ['', 'ca.crt', 'server.crt', 'server.key', 'peer.crt', 'peer.key', 'etcd.conf'])
      chownSync(join(p('/etc/etcd'), f), uid, gid);
    chownSync(p('/var/lib/etcd'), uid, gid);
  }
  const sbin = p('/usr/local/sbin');
  for (const [name, text] of Object.entries(toolWrappers(o)))
    writeFileSync(join(sbin, name), text, { mode: 0o755 });

  writeFileSync(join(H, 'sshd_config'), sshdConfig(m, H, o.authorizedKeys, o.access));
  const init = initScript({
    labId: o.labId,
    member: m,
    mode,
    hostDir: H,
    node: process.execPath,
    standins: standinsDir(),
    etcdOwner: ownsEtcd ? 'etcd:etcd' : 'root:root',
    authorizedKeys: o.authorizedKeys,
    members: o.members,
    ...(o.access ? { access: o.access } : {}),
    noEtcdctl: o.noEtcdctl === true,
    ...(o.etcd ? { etcdImage: o.etcd.image } : {}),
    ...(o.etcd?.bin ? { etcdBin: o.etcd.bin } : {}),
  });
  writeFileSync(join(H, 'init.sh'), init, { mode: 0o755 });
  return await pub;
}

/** kube-controller-manager and kube-scheduler on the host: the lab's stand-in, told which one it is. */
const componentWrappers = (node: string, S: string) =>
  Object.fromEntries(
    KUBE_COMPONENTS.map((c) => [c, wrapper(node, join(S, 'kube-component.js'), [`--lab-component=${c}`])]),
  );

/** systemd mode: the components as enabled units, their kubeconfigs naming this host's API server address. */
function componentUnits(p: (path: string) => string, m: LabMember): void {
  mkdirSync(p(UNIT_CONF_DIR), { recursive: true });
  for (const c of KUBE_COMPONENTS) {
    writeFileSync(p(`${UNIT_CONF_DIR}/${c}.kubeconfig`), componentKubeconfig(m, c).text, { mode: 0o600 });
    writeFileSync(p(`/usr/lib/systemd/system/${c}.service`), componentUnit(c));
    symlinkSync(
      `/usr/lib/systemd/system/${c}.service`,
      p(`/etc/systemd/system/multi-user.target.wants/${c}.service`),
    );
  }
}
