// kubeadm static pods: the kubelet runs what is in /etc/kubernetes/manifests, so stopping is moving a manifest out.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { shq } from '../engine/tools.js';
import type { Platform } from './types.js';
import { editManifestFlags, keepOriginal, waitPort } from './edit.js';

const parked = (m: ResolvedMember) => `${dirname(dirname(m.manifest))}/manifests-stopped-by-lifeboat`;
const saved = (m: ResolvedMember) => `${dirname(dirname(m.manifest))}/lifeboat-backup`;
const clientHostPort = (m: ResolvedMember) => new URL(m.clientURL).host;
/** etcd closes its peer port last: both closed means the process is gone, not just its client listener. */
const peerHostPort = (m: ResolvedMember) => new URL(m.peerURL).host;
const apiHostPort = (m: ResolvedMember) => `${m.address}:6443`;

function stop(manifest: string, park: string, waitDown: string): string {
  const name = manifest.split('/').pop() ?? 'x.yaml';
  return [
    `if [ -f ${shq(manifest)} ]; then mkdir -p ${shq(park)} && mv ${shq(manifest)} ${shq(`${park}/${name}`)}; fi`,
    waitDown,
  ].join('\n');
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

const listenerPid = (hostPort: string) =>
  `ss -Hltnp 2>/dev/null | grep -F ${shq(`${hostPort} `)} | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p' | head -n1`;

/**
 * The kubelet restarts a static pod whose manifest changed. When this edit changed the live manifest of a running
 * etcd, wait (with a deadline) until the kubelet replaced the process and the new one listens, so a "healthy" check
 * that follows sees the restarted member, not the old one about to be stopped.
 */
function editLive(m: ResolvedMember, edit: string): string {
  return [
    `old=$(${listenerPid(clientHostPort(m))}); s0=$(sha256sum <"$f")`,
    edit,
    `if [ "$f" = ${shq(m.manifest)} ] && [ -n "$old" ] && [ "$(sha256sum <"$f")" != "$s0" ]; then`,
    `  i=0; while kill -0 "$old" 2>/dev/null; do i=$((i+1)); [ $i -ge 1200 ] && { echo "etcd (pid $old) was not restarted within 120s after its manifest changed" >&2; exit 1; }; sleep 0.1; done`,
    `  ${waitPort(clientHostPort(m), 'up', 120)}`,
    '  echo "etcd restarted by the kubelet with the new flags"',
    'fi',
  ].join('\n');
}

export const staticPod: Platform = {
  topology: 'static-pod',
  stopEtcd: (m) =>
    stop(
      m.manifest,
      parked(m),
      `${waitPort(clientHostPort(m), 'down')}\n${waitPort(peerHostPort(m), 'down')}`,
    ),
  startEtcd: (m) => start(m.manifest, parked(m), waitPort(clientHostPort(m), 'up')),
  etcdStopped: (m) =>
    `[ ! -f ${shq(m.manifest)} ] && ! ss -Hltn | awk '{print $4}' | grep -qxF -e ${shq(clientHostPort(m))} -e ${shq(peerHostPort(m))}`,
  stopApiserver: (m) => stop(m.apiserverManifest, parked(m), waitPort(apiHostPort(m), 'down')),
  startApiserver: (m) => start(m.apiserverManifest, parked(m), 'true'),
  apiserverStopped: (m) => `[ ! -f ${shq(m.apiserverManifest)} ]`,
  setEtcdFlags: (m, stamp, flags) =>
    [
      locate(m.manifest, parked(m)),
      keepOriginal(saved(m), stamp),
      editLive(m, editManifestFlags(flags, 'etcd')),
    ].join('\n'),
  setEtcdServers: (m, stamp, urls) =>
    [
      locate(m.apiserverManifest, parked(m)),
      keepOriginal(saved(m), stamp),
      editManifestFlags({ 'etcd-servers': urls.join(',') }, 'kube-apiserver'),
    ].join('\n'),
  noForceNewCluster: (m) =>
    `for f in ${shq(m.manifest)} ${shq(`${parked(m)}/${m.manifest.split('/').pop() ?? 'etcd.yaml'}`)}; do [ -f "$f" ] && grep -q -- '--force-new-cluster' "$f" && { echo "$f still has --force-new-cluster" >&2; exit 1; }; done; echo "no --force-new-cluster flag"`,
  backupConfig: (m, dir) => {
    const k8s = dirname(dirname(m.manifest));
    return `mkdir -p ${shq(dir)} && cp -a ${shq(`${k8s}/pki`)} ${shq(`${dir}/pki`)} && cp -a ${shq(dirname(m.manifest))} ${shq(`${dir}/manifests`)} && chmod -R go-rwx ${shq(dir)}`;
  },
};
