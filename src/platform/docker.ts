// docker: etcd as a container named `etcd` (`docker run --name etcd ... -v etcd-data:...`, RKE's etcd),
// and the API server as a container named `kube-apiserver` when the host has one (RKE). Flags are the container's
// arguments (`docker inspect etcd | jq .[].Args`): docker cannot change them in place, so an edit recreates the
// container from `docker inspect` with the same image, network, restart policy, volumes and environment — the old
// container is renamed `etcd-before-lifeboat-STAMP[-N]`, never removed. Data: the inventory's dataDir is where the
// volume lives on the host (`docker volume inspect etcd-data` → /var/lib/docker/volumes/etcd-data/_data, 001).
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
import type { Platform } from './types.js';
import { waitPort } from './edit.js';

export const ETCD_CONTAINER = 'etcd';
export const APISERVER_CONTAINER = 'kube-apiserver';
const clientHostPort = (m: ResolvedMember) => new URL(m.clientURL).host;
/** etcd closes its peer port last: both closed means the process is gone. */
const peerHostPort = (m: ResolvedMember) => new URL(m.peerURL).host;
const saved = (m: ResolvedMember) => `${m.backupDir}/lifeboat-docker`;

/** A container name, or the shell variable holding one (sh.raw('"$c"')). */
type Name = string | Script;
const running = (c: Name) => sh`[ "$(docker inspect -f '{{.State.Running}}' ${c} 2>/dev/null)" = true ]`;
const exists = (c: Name) => sh`docker inspect -f '{{.Id}}' ${c} >/dev/null 2>&1`;
const ifApi = (cmd: Script) =>
  sh.join(
    [
      sh`if ${exists(APISERVER_CONTAINER)}; then ${cmd}`,
      sh`else echo ${`no ${APISERVER_CONTAINER} container on this host`}; fi`,
    ],
    '; ',
  );

/**
 * awk over the container's arguments, one a line: drop every given flag (`--f=v`, or `--f` followed by a value line),
 * then append `--f=v` for those with a value. Values come in as awk variables, so they need no escaping.
 */
export function editArgs(flags: Record<string, string | null>): Script {
  const names = Object.keys(flags);
  const vars = names.map(
    (f, i) =>
      sh`-v ${`n${i}=${f}`} -v ${`v${i}=${flags[f] ?? ''}`} -v ${`s${i}=${flags[f] === null ? 0 : 1}`}`,
  );
  // One awk line per flag: `--f` alone drops the value line after it too (unless that line is a flag).
  const drops = names.map((_, i) => {
    const bare = `a[i]=="--" n${i}`;
    const named = `${bare} || index(a[i], "--" n${i} "=")==1`;
    return `    if (${named}) { drop=1; if (${bare} && i<NR && substr(a[i+1],1,1)!="-") i++ }`;
  });
  const adds = names.map((_, i) => `  if (s${i}==1) print "--" n${i} "=" v${i}`);
  const prog = `{ a[NR]=$0 }
END {
  for (i=1; i<=NR; i++) { drop=0
${drops.map((l) => `${l}\n`).join('')}    if (!drop) print a[i] }
${adds.map((l) => `${l}\n`).join('')}}`;
  return sh`awk ${vars} ${prog}`;
}

/**
 * Recreates container $c with its arguments passed through `edit` (a filter given the args file, one a line), with the
 * same image, entrypoint, network, restart policy, volumes and env, keeping the old one under a new
 * name; starts the new
 * one if the old one was running (start 'was'), always, or never. No change, no recreation.
 */
export function recreateContainer(
  container: string,
  edit: Script,
  stamp: string,
  keepDir: string,
  start: 'was' | 'always' | 'never',
  waitUp: Script,
): Script {
  const c = sh.raw('"$c"');
  const before = sh`${keepDir}/"$c".inspect.before-${stamp}.json`;
  const list = (field: string, file: string) =>
    sh`docker inspect -f ${`{{range ${field}}}{{println .}}{{end}}`} "$c" | sed '/^$/d' >"$w"/${file}`;
  return sh.lines(
    sh`c=${container}`,
    sh`${exists(c)} || { printf 'no container %s on this host\\n' "$c" >&2; exit 1; }`,
    sh`mkdir -p ${keepDir} && { [ -e ${before} ] || docker inspect "$c" >${before}; }`,
    sh`w=$(mktemp -d)`,
    list('.Args', 'args'),
    sh`${edit} "$w/args" >"$w/new"`,
    sh.join(
      [
        sh`if cmp -s "$w/args" "$w/new"; then echo "$c already has these flags"`,
        sh`rm -f "$w/args" "$w/new"; rmdir "$w"; exit 0; fi`,
      ],
      '; ',
    ),
    sh`img=$(docker inspect -f '{{.Config.Image}}' "$c"); path=$(docker inspect -f '{{.Path}}' "$c")`,
    sh.join(
      [
        sh`net=$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$c")`,
        sh`rp=$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$c")`,
      ],
      '; ',
    ),
    list('.HostConfig.Binds', 'binds'),
    list('.Config.Env', 'env'),
    sh`was=0; if ${running(c)}; then was=1; docker stop "$c" >/dev/null; fi`,
    sh.join(
      [
        sh`old="$c"-before-lifeboat-${stamp}; n=1; while ${exists(sh.raw('"$old"'))}; do n=$((n+1))`,
        sh`old="$c"-before-lifeboat-${stamp}-$n; done`,
      ],
      '; ',
    ),
    sh`docker rename "$c" "$old" && echo "old container kept as $old"`,
    sh`set --`,
    sh`while IFS= read -r l; do set -- "$@" -v "$l"; done <"$w/binds"`,
    sh`while IFS= read -r l; do set -- "$@" -e "$l"; done <"$w/env"`,
    sh`set -- "$@" --entrypoint "$path" "$img"`,
    sh`while IFS= read -r l; do set -- "$@" "$l"; done <"$w/new"`,
    sh`docker create --name "$c" --network "$net" --restart "\${rp:-no}" "$@" >/dev/null`,
    sh`echo "$c recreated with: $(tr '\\n' ' ' <"$w/new")"`,
    sh`rm -f "$w/args" "$w/new" "$w/binds" "$w/env"; rmdir "$w"`,
    start === 'never'
      ? sh`true`
      : sh`if [ $was = 1 ] || [ ${start} = always ]; then docker start "$c" >/dev/null; ${waitUp}; fi`,
  );
}

export const docker: Platform = {
  topology: 'docker',
  stopEtcd: (m) =>
    sh.lines(
      sh`if ${running(ETCD_CONTAINER)}; then docker stop ${ETCD_CONTAINER} >/dev/null; fi`,
      waitPort(clientHostPort(m), 'down'),
      waitPort(peerHostPort(m), 'down'),
    ),
  startEtcd: (m) =>
    sh.lines(
      sh`${exists(ETCD_CONTAINER)} || { echo ${`no container ${ETCD_CONTAINER} on this host`} >&2; exit 1; }`,
      sh`${running(ETCD_CONTAINER)} || docker start ${ETCD_CONTAINER} >/dev/null`,
      waitPort(clientHostPort(m), 'up'),
    ),
  etcdStopped: () => sh`! ${running(ETCD_CONTAINER)}`,
  stopApiserver: () =>
    ifApi(sh`if ${running(APISERVER_CONTAINER)}; then docker stop ${APISERVER_CONTAINER}; fi`),
  startApiserver: () => ifApi(sh`${running(APISERVER_CONTAINER)} || docker start ${APISERVER_CONTAINER}`),
  apiserverStopped: () => sh`! ${running(APISERVER_CONTAINER)}`,
  setEtcdFlags: (m, stamp, flags) =>
    recreateContainer(
      ETCD_CONTAINER,
      editArgs(flags),
      stamp,
      saved(m),
      'was',
      waitPort(clientHostPort(m), 'up', 120),
    ),
  setEtcdServers: (m, stamp, urls) =>
    ifApi(
      sh.lines(
        sh`(`,
        recreateContainer(
          APISERVER_CONTAINER,
          editArgs({ 'etcd-servers': urls.join(',') }),
          stamp,
          saved(m),
          'was',
          sh`true`,
        ),
        sh`)`,
      ),
    ),
  noForceNewCluster: () =>
    sh.join(
      [
        sh`if docker inspect -f '{{range .Args}}{{println .}}{{end}}' ${ETCD_CONTAINER} | grep -q --`,
        sh`'^--force-new-cluster'; then echo`,
        sh`${`container ${ETCD_CONTAINER} still has --force-new-cluster`} >&2; exit 1; fi; echo "no`,
        sh`--force-new-cluster flag"`,
      ],
      ' ',
    ),
  backupConfig: (m, dir) => {
    const certs = [
      ...new Set([m.tls.ca, m.tls.cert, m.tls.key].map((f) => f.slice(0, f.lastIndexOf('/')) || '/')),
    ];
    return sh.join(
      [
        sh`mkdir -p ${dir}`,
        sh`docker inspect ${ETCD_CONTAINER} >${`${dir}/${ETCD_CONTAINER}.inspect.json`}`,
        sh.join(
          [
            sh`{ ${exists(APISERVER_CONTAINER)} && docker inspect ${APISERVER_CONTAINER}`,
            sh`>${`${dir}/${APISERVER_CONTAINER}.inspect.json`} || true; }`,
          ],
          ' ',
        ),
        ...certs.map((d, i) => sh`cp -a ${d} ${`${dir}/certs-${i}`}`),
        sh`chmod -R go-rwx ${dir}`,
      ],
      ' && ',
    );
  },
};
