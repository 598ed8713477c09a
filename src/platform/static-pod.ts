// kubeadm static pods: the kubelet runs what is in /etc/kubernetes/manifests, so stopping is moving a manifest out.
import { basename, dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
import type { Platform } from './types.js';
import { editManifestFlags, keepOriginal, waitPort } from './edit.js';

const parked = (m: ResolvedMember) => `${dirname(dirname(m.manifest))}/manifests-stopped-by-lifeboat`;
const saved = (m: ResolvedMember) => `${dirname(dirname(m.manifest))}/lifeboat-backup`;
const clientHostPort = (m: ResolvedMember) => new URL(m.clientURL).host;
/** etcd closes its peer port last: both closed means the process is gone, not just its client listener. */
const peerHostPort = (m: ResolvedMember) => new URL(m.peerURL).host;
const apiHostPort = (m: ResolvedMember) => `${m.address}:6443`;
/** Where a manifest waits while its pod is stopped. */
const parkedAs = (manifest: string, park: string) => `${park}/${basename(manifest) || 'x.yaml'}`;

function stop(manifest: string, park: string, waitDown: Script): Script {
  return sh.lines(
    sh`if [ -f ${manifest} ]; then mkdir -p ${park} && mv ${manifest} ${parkedAs(manifest, park)}; fi`,
    waitDown,
  );
}

function start(manifest: string, park: string, waitUp: Script): Script {
  const from = parkedAs(manifest, park);
  const missing = `no parked manifest ${from} to move back`;
  return sh.lines(
    sh`if [ ! -f ${manifest} ]; then [ -f ${from} ] || { echo ${missing} >&2; exit 1; }; mv ${from} ${manifest}; fi`,
    waitUp,
  );
}

/** The manifest wherever it is now: in the manifests dir, or parked while stopped. */
const locate = (manifest: string, park: string) =>
  sh.join(
    [
      sh`f=${manifest}; [ -f "$f" ] || f=${parkedAs(manifest, park)}`,
      sh`[ -f "$f" ] || { echo ${`manifest ${basename(manifest)} not found`} >&2; exit 1; }`,
    ],
    '; ',
  );

const listenerPid = (hostPort: string) =>
  sh`ss -Hltnp 2>/dev/null | grep -F ${`${hostPort} `} | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p' | head -n1`;

/**
 * The kubelet restarts a static pod whose manifest changed. When this edit changed the live manifest of a running
 * etcd, wait (with a deadline) until the kubelet replaced the process and the new one listens, so a "healthy" check
 * that follows sees the restarted member, not the old one about to be stopped.
 */
function editLive(m: ResolvedMember, edit: Script): Script {
  return sh.lines(
    sh`old=$(${listenerPid(clientHostPort(m))}); s0=$(sha256sum <"$f")`,
    edit,
    sh`if [ "$f" = ${m.manifest} ] && [ -n "$old" ] && [ "$(sha256sum <"$f")" != "$s0" ]; then`,
    sh.join(
      [
        sh`  i=0; while kill -0 "$old" 2>/dev/null; do i=$((i+1)); [ $i -ge 1200 ] && { echo "etcd (pid`,
        sh`$old) was not restarted within 120s after its manifest changed" >&2; exit 1; }; sleep 0.1;`,
        sh`done`,
      ],
      ' ',
    ),
    sh`  ${waitPort(clientHostPort(m), 'up', 120)}`,
    sh`  echo "etcd restarted by the kubelet with the new flags"`,
    sh`fi`,
  );
}

export const staticPod: Platform = {
  topology: 'static-pod',
  stopEtcd: (m) =>
    stop(
      m.manifest,
      parked(m),
      sh.lines(waitPort(clientHostPort(m), 'down'), waitPort(peerHostPort(m), 'down')),
    ),
  startEtcd: (m) => start(m.manifest, parked(m), waitPort(clientHostPort(m), 'up')),
  etcdStopped: (m) =>
    sh.join(
      [
        sh`[ ! -f ${m.manifest} ]`,
        sh`! ss -Hltn | awk '{print $4}' | grep -qxF -e ${clientHostPort(m)} -e ${peerHostPort(m)}`,
      ],
      ' && ',
    ),
  stopApiserver: (m) => stop(m.apiserverManifest, parked(m), waitPort(apiHostPort(m), 'down')),
  startApiserver: (m) => start(m.apiserverManifest, parked(m), sh`true`),
  apiserverStopped: (m) => sh`[ ! -f ${m.apiserverManifest} ]`,
  setEtcdFlags: (m, stamp, flags) =>
    sh.lines(
      locate(m.manifest, parked(m)),
      keepOriginal(saved(m), stamp),
      editLive(m, editManifestFlags(flags, 'etcd')),
    ),
  setEtcdServers: (m, stamp, urls) =>
    sh.lines(
      locate(m.apiserverManifest, parked(m)),
      keepOriginal(saved(m), stamp),
      editManifestFlags({ 'etcd-servers': urls.join(',') }, 'kube-apiserver'),
    ),
  noForceNewCluster: (m) =>
    sh.join(
      [
        sh`for f in ${m.manifest} ${parkedAs(m.manifest, parked(m))}; do [ -f "$f" ] && grep -q --`,
        sh`'--force-new-cluster' "$f" && { printf '%s still has --force-new-cluster\\n' "$f" >&2; exit`,
        sh`1; }; done; echo "no --force-new-cluster flag"`,
      ],
      ' ',
    ),
  backupConfig: (m, dir) => {
    const k8s = dirname(dirname(m.manifest));
    return sh.join(
      [
        sh`mkdir -p ${dir} && cp -a ${`${k8s}/pki`} ${`${dir}/pki`}`,
        sh`cp -a ${dirname(m.manifest)} ${`${dir}/manifests`} && chmod -R go-rwx ${dir}`,
      ],
      ' && ',
    );
  },
};
