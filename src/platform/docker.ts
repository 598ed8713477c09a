// docker: etcd as a container named `etcd` (source 001's `docker run --name etcd ... -v etcd-data:...`, RKE's etcd in 003),
// and the API server as a container named `kube-apiserver` when the host has one (RKE). Flags are the container's
// arguments (`docker inspect etcd | jq .[].Args`, 003): docker cannot change them in place, so an edit recreates the
// container from `docker inspect` with the same image, network, restart policy, volumes and environment — the old
// container is renamed `etcd-before-lifeboat-STAMP[-N]`, never removed. Data: the inventory's dataDir is where the
// volume lives on the host (`docker volume inspect etcd-data` → /var/lib/docker/volumes/etcd-data/_data, 001).
import type { ResolvedMember } from '../inventory/resolve.js';
import { shq } from '../engine/tools.js';
import type { Platform } from './types.js';
import { waitPort } from './edit.js';

export const ETCD_CONTAINER = 'etcd';
export const APISERVER_CONTAINER = 'kube-apiserver';
const clientHostPort = (m: ResolvedMember) => new URL(m.clientURL).host;
/** etcd closes its peer port last: both closed means the process is gone. */
const peerHostPort = (m: ResolvedMember) => new URL(m.peerURL).host;
const saved = (m: ResolvedMember) => `${m.backupDir}/lifeboat-docker`;

const running = (c: string) => `[ "$(docker inspect -f '{{.State.Running}}' ${c} 2>/dev/null)" = true ]`;
const exists = (c: string) => `docker inspect -f '{{.Id}}' ${c} >/dev/null 2>&1`;
const ifApi = (cmd: string) =>
  `if ${exists(APISERVER_CONTAINER)}; then ${cmd}; else echo "no ${APISERVER_CONTAINER} container on this host"; fi`;

/**
 * awk over the container's arguments, one a line: drop every given flag (`--f=v`, or `--f` followed by a value line),
 * then append `--f=v` for those with a value. Values come in as awk variables, so they need no escaping.
 */
export function editArgs(flags: Record<string, string | null>): string {
  const names = Object.keys(flags);
  const vars = names
    .map((f, i) => `-v n${i}=${shq(f)} -v v${i}=${shq(flags[f] ?? '')} -v s${i}=${flags[f] === null ? 0 : 1}`)
    .join(' ');
  const prog = [
    '{ a[NR]=$0 }',
    'END {',
    '  for (i=1; i<=NR; i++) { drop=0',
    ...names.map(
      (_, i) =>
        `    if (a[i]=="--" n${i} || index(a[i], "--" n${i} "=")==1) { drop=1; if (a[i]=="--" n${i} && i<NR && substr(a[i+1],1,1)!="-") i++ }`,
    ),
    '    if (!drop) print a[i] }',
    ...names.map((_, i) => `  if (s${i}==1) print "--" n${i} "=" v${i}`),
    '}',
  ].join('\n');
  return `awk ${vars} '${prog.replace(/'/g, `'\\''`)}'`;
}

/**
 * Recreates container $c with edited arguments (same image, entrypoint, network, restart policy, volumes, env), keeping
 * the old one under a new name; starts the new one if the old one was running. No change, no recreation.
 */
function recreate(
  c: string,
  flags: Record<string, string | null>,
  stamp: string,
  keepDir: string,
  waitUp: string,
): string {
  return [
    `c=${c}`,
    `${exists('$c')} || { echo "no container $c on this host" >&2; exit 1; }`,
    `mkdir -p ${shq(keepDir)} && { [ -e ${shq(keepDir)}/$c.inspect.before-${stamp}.json ] || docker inspect $c >${shq(keepDir)}/$c.inspect.before-${stamp}.json; }`,
    `w=$(mktemp -d)`,
    `docker inspect -f '{{range .Args}}{{println .}}{{end}}' $c | sed '/^$/d' >"$w/args"`,
    `${editArgs(flags)} "$w/args" >"$w/new"`,
    `if cmp -s "$w/args" "$w/new"; then echo "$c already has these flags"; rm -f "$w/args" "$w/new"; rmdir "$w"; exit 0; fi`,
    `img=$(docker inspect -f '{{.Config.Image}}' $c); path=$(docker inspect -f '{{.Path}}' $c)`,
    `net=$(docker inspect -f '{{.HostConfig.NetworkMode}}' $c); rp=$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' $c)`,
    `docker inspect -f '{{range .HostConfig.Binds}}{{println .}}{{end}}' $c | sed '/^$/d' >"$w/binds"`,
    `docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' $c | sed '/^$/d' >"$w/env"`,
    `was=0; if ${running('$c')}; then was=1; docker stop $c >/dev/null; fi`,
    `old=$c-before-lifeboat-${stamp}; n=1; while ${exists('$old')}; do n=$((n+1)); old=$c-before-lifeboat-${stamp}-$n; done`,
    `docker rename $c "$old" && echo "old container kept as $old"`,
    'set --',
    `while IFS= read -r l; do set -- "$@" -v "$l"; done <"$w/binds"`,
    `while IFS= read -r l; do set -- "$@" -e "$l"; done <"$w/env"`,
    'set -- "$@" --entrypoint "$path" "$img"',
    `while IFS= read -r l; do set -- "$@" "$l"; done <"$w/new"`,
    `docker create --name $c --network "$net" --restart "\${rp:-no}" "$@" >/dev/null`,
    `echo "$c recreated with: $(tr '\\n' ' ' <"$w/new")"`,
    `rm -f "$w/args" "$w/new" "$w/binds" "$w/env"; rmdir "$w"`,
    `if [ $was = 1 ]; then docker start $c >/dev/null; ${waitUp}; fi`,
  ].join('\n');
}

export const docker: Platform = {
  topology: 'docker',
  stopEtcd: (m) =>
    [
      `if ${running(ETCD_CONTAINER)}; then docker stop ${ETCD_CONTAINER} >/dev/null; fi`,
      waitPort(clientHostPort(m), 'down'),
      waitPort(peerHostPort(m), 'down'),
    ].join('\n'),
  startEtcd: (m) =>
    [
      `${exists(ETCD_CONTAINER)} || { echo "no container ${ETCD_CONTAINER} on this host" >&2; exit 1; }`,
      `${running(ETCD_CONTAINER)} || docker start ${ETCD_CONTAINER} >/dev/null`,
      waitPort(clientHostPort(m), 'up'),
    ].join('\n'),
  etcdStopped: () => `! ${running(ETCD_CONTAINER)}`,
  stopApiserver: () =>
    ifApi(`if ${running(APISERVER_CONTAINER)}; then docker stop ${APISERVER_CONTAINER}; fi`),
  startApiserver: () => ifApi(`${running(APISERVER_CONTAINER)} || docker start ${APISERVER_CONTAINER}`),
  apiserverStopped: () => `! ${running(APISERVER_CONTAINER)}`,
  setEtcdFlags: (m, stamp, flags) =>
    recreate(ETCD_CONTAINER, flags, stamp, saved(m), waitPort(clientHostPort(m), 'up', 120)),
  setEtcdServers: (m, stamp, urls) =>
    ifApi(
      `(\n${recreate(APISERVER_CONTAINER, { 'etcd-servers': urls.join(',') }, stamp, saved(m), 'true')}\n)`,
    ),
  noForceNewCluster: () =>
    `if docker inspect -f '{{range .Args}}{{println .}}{{end}}' ${ETCD_CONTAINER} | grep -q -- '^--force-new-cluster'; then echo "container ${ETCD_CONTAINER} still has --force-new-cluster" >&2; exit 1; fi; echo "no --force-new-cluster flag"`,
  backupConfig: (m, dir) => {
    const certs = [
      ...new Set([m.tls.ca, m.tls.cert, m.tls.key].map((f) => f.slice(0, f.lastIndexOf('/')) || '/')),
    ];
    return [
      `mkdir -p ${shq(dir)}`,
      `docker inspect ${ETCD_CONTAINER} >${shq(`${dir}/${ETCD_CONTAINER}.inspect.json`)}`,
      `{ ${exists(APISERVER_CONTAINER)} && docker inspect ${APISERVER_CONTAINER} >${shq(`${dir}/${APISERVER_CONTAINER}.inspect.json`)} || true; }`,
      ...certs.map((d, i) => `cp -a ${shq(d)} ${shq(`${dir}/certs-${i}`)}`),
      `chmod -R go-rwx ${shq(dir)}`,
    ].join(' && ');
  },
};
