// kubeadm static pods: the kubelet runs what is in /etc/kubernetes/manifests, so stopping is moving a manifest out.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { shq } from '../engine/tools.js';
import type { Platform } from './types.js';
import { editManifestFlags, keepOriginal, waitPort } from './edit.js';

const parked = (m: ResolvedMember) => `${dirname(dirname(m.manifest))}/manifests-stopped-by-lifeboat`;
const saved = (m: ResolvedMember) => `${dirname(dirname(m.manifest))}/lifeboat-backup`;
const clientHostPort = (m: ResolvedMember) => new URL(m.clientURL).host;
const apiHostPort = (m: ResolvedMember) => `${m.address}:6443`;

function stop(manifest: string, park: string, waitDown: string): string {
  const name = manifest.split('/').pop() ?? 'x.yaml';
  return [`if [ -f ${shq(manifest)} ]; then mkdir -p ${shq(park)} && mv ${shq(manifest)} ${shq(`${park}/${name}`)}; fi`, waitDown].join('\n');
}

function start(manifest: string, park: string, waitUp: string): string {
  const name = manifest.split('/').pop() ?? 'x.yaml';
  return [
    `if [ ! -f ${shq(manifest)} ]; then [ -f ${shq(`${park}/${name}`)} ] || { echo "no parked manifest ${park}/${name} to move back" >&2; exit 1; }; mv ${shq(`${park}/${name}`)} ${shq(manifest)}; fi`,
    waitUp,
  ].join('\n');
}

/** The manifest wherever it is now: in the manifests dir, or parked while stopped. */
const locate = (manifest: string, park: string) => {
  const name = manifest.split('/').pop() ?? 'x.yaml';
  return `f=${shq(manifest)}; [ -f "$f" ] || f=${shq(`${park}/${name}`)}; [ -f "$f" ] || { echo "manifest ${name} not found" >&2; exit 1; }`;
};

export const staticPod: Platform = {
  topology: 'static-pod',
  stopEtcd: (m) => stop(m.manifest, parked(m), waitPort(clientHostPort(m), 'down')),
  startEtcd: (m) => start(m.manifest, parked(m), waitPort(clientHostPort(m), 'up')),
  etcdStopped: (m) => `[ ! -f ${shq(m.manifest)} ] && ! ss -Hltn | awk '{print $4}' | grep -qxF ${shq(clientHostPort(m))}`,
  stopApiserver: (m) => stop(m.apiserverManifest, parked(m), waitPort(apiHostPort(m), 'down')),
  startApiserver: (m) => start(m.apiserverManifest, parked(m), 'true'),
  apiserverStopped: (m) => `[ ! -f ${shq(m.apiserverManifest)} ]`,
  setEtcdFlags: (m, stamp, flags) =>
    [locate(m.manifest, parked(m)), keepOriginal(saved(m), stamp), editManifestFlags(flags, 'etcd')].join('\n'),
  setEtcdServers: (m, stamp, urls) =>
    [locate(m.apiserverManifest, parked(m)), keepOriginal(saved(m), stamp), editManifestFlags({ 'etcd-servers': urls.join(',') }, 'kube-apiserver')].join('\n'),
  backupConfig: (m, dir) => {
    const k8s = dirname(dirname(m.manifest));
    return `mkdir -p ${shq(dir)} && cp -a ${shq(`${k8s}/pki`)} ${shq(`${dir}/pki`)} && cp -a ${shq(dirname(m.manifest))} ${shq(`${dir}/manifests`)} && chmod -R go-rwx ${shq(dir)}`;
  },
};
