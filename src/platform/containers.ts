// etcdctl anywhere: when a host has no etcdctl/etcdutl of its own, run them from the etcd container (`crictl exec`,
// `docker exec`) or from the etcd image (`docker run --rm -v ...`, as sources 000 and 004 do). The probe finds what the
// host has; `makeTools` picks, in that order: host binaries, the running etcd container, the etcd image.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';

/** What the probe learnt about containers on a host that lacks etcdctl. */
export interface ContainerFacts {
  /** crictl on the host and an etcd container running (its id at probe time). */
  crictlEtcd?: string;
  /** docker on the host. */
  docker?: boolean;
  /** docker container named etcd, running (001's `docker run --name etcd`, RKE's etcd container). */
  dockerEtcd?: boolean;
  /** The etcd image: from `docker inspect etcd` or the static pod manifest. */
  image?: string;
  /** `etcdctl version` / `etcdutl version` inside the container. */
  etcdctlVersion?: string;
  etcdutlVersion?: string;
}

export type ToolSource =
  | { kind: 'host' }
  | { kind: 'crictl-exec' }
  | { kind: 'docker-exec'; container: string }
  | { kind: 'docker-run'; image: string };

/** Probe lines (run only when etcdctl is not on the host's PATH): print ctr_* keys. Defines $E, the etcdctl to use. */
export function containerProbe(m: ResolvedMember): Script {
  const version = (tool: string) => sh`sed -n ${`s/^${tool} version: //p`}`;
  return sh.lines(
    sh`E=; [ -n "$ctl" ] && E=etcdctl`,
    sh`if [ -z "$ctl" ]; then`,
    sh.join(
      [
        sh`  if command -v crictl >/dev/null 2>&1`,
        sh`then cid=$(crictl ps -q --name '^etcd$' 2>/dev/null | head -n1); if [ -n "$cid" ]`,
        sh`then echo "ctr_crictl=$cid"; E="crictl exec $cid etcdctl"`,
      ],
      '; ',
    ),
    sh`    echo "ctr_etcdctl_version=$(crictl exec "$cid" etcdctl version 2>/dev/null | ${version('etcdctl')})"`,
    sh.join(
      [
        sh`    v=$(crictl exec "$cid" etcdutl version 2>/dev/null | ${version('etcdutl')})`,
        sh`[ -n "$v" ] && echo "ctr_etcdutl_version=$v"; fi; fi`,
      ],
      '; ',
    ),
    sh`  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then echo ctr_docker=1`,
    sh.join(
      [
        sh`    st=$(docker inspect -f '{{.State.Running}} {{.Config.Image}}' etcd 2>/dev/null) && {`,
        sh`echo "ctr_image=\${st#* }"; if [ "\${st%% *}" = true ]; then echo ctr_docker_etcd=1; [ -z`,
        sh`"$E" ] && E="docker exec etcd etcdctl" && echo "ctr_etcdctl_version=$(docker exec etcd`,
        sh`etcdctl version 2>/dev/null | ${version('etcdctl')})"; fi; }; fi`,
      ],
      ' ',
    ),
    sh.join(
      [
        sh`  if [ -f ${m.manifest} ]`,
        sh`then img=$(sed -n 's/^ *image: *\\([^ ]*etcd[^ ]*\\) *$/\\1/p' ${m.manifest} | head -n1)`,
        sh`[ -n "$img" ] && echo "ctr_image=$img"; fi`,
      ],
      '; ',
    ),
    sh`fi`,
  );
}

export function parseContainerFacts(kv: Map<string, string>): ContainerFacts | undefined {
  const f: ContainerFacts = {};
  const crictl = kv.get('ctr_crictl');
  if (crictl) f.crictlEtcd = crictl;
  if (kv.has('ctr_docker')) f.docker = true;
  if (kv.has('ctr_docker_etcd')) f.dockerEtcd = true;
  const image = kv.get('ctr_image');
  if (image) f.image = image;
  const v = kv.get('ctr_etcdctl_version');
  if (v) f.etcdctlVersion = v;
  const u = kv.get('ctr_etcdutl_version');
  if (u) f.etcdutlVersion = u;
  return Object.keys(f).length ? f : undefined;
}

/** Where etcdctl comes from on a host without it (undefined: nothing found, assume the host's PATH). */
export function chooseSource(c: ContainerFacts | undefined): ToolSource | undefined {
  if (!c) return undefined;
  if (c.crictlEtcd) return { kind: 'crictl-exec' };
  if (c.dockerEtcd) return { kind: 'docker-exec', container: 'etcd' };
  if (c.docker && c.image) return { kind: 'docker-run', image: c.image };
  return undefined;
}

/**
 * Folders a `docker run` of the image must see: the TLS files, and for offline work the data dir's
 * parent and the backup dir.
 */
function runMounts(m: ResolvedMember, offline: boolean, extra: string[] = []): Script {
  const dirs = new Set([m.tls.ca, m.tls.cert, m.tls.key].map((f) => dirname(f)));
  if (offline) {
    dirs.add(dirname(m.dataDir));
    dirs.add(m.backupDir);
  }
  for (const e of extra) dirs.add(e);
  return sh.join(
    [...dirs].sort().map((d) => sh`-v ${`${d}:${d}`}`),
    ' ',
  );
}

export interface ContainerRun {
  /** Offline work (restore, status): the image run mounts the data dir's parent and the backup dir. */
  offline?: boolean;
  extraMounts?: string[];
  /** `snapshot save FILE`: the file is written where the tool runs, so each source gets it out its own way. */
  save?: string | Script | undefined;
}

/**
 * `tool` (etcdctl or etcdutl) with `args` run from this source, as one shell command usable in pipes and `$(...)`.
 * The crictl form looks the container up when it runs (its id changes at every restart); when no etcd container runs
 * and docker is there, the image is run instead. crictl exec cannot set variables: etcdctl 3.4+ speaks the v3 API by
 * default; docker gets ETCDCTL_API=3.
 */
export function containerCommand(
  src: ToolSource,
  tool: 'etcdctl' | 'etcdutl',
  m: ResolvedMember,
  c: ContainerFacts | undefined,
  o: ContainerRun,
  args: Script,
): Script {
  // `snapshot save FILE` writes where the tool runs: a container sees only its own mounts. The image run mounts the
  // backup dir; inside the etcd pod (kubeadm mounts the data dir at the same path) it saves into the
  // data dir, then moves.
  const save = o.save;
  const offline = o.offline === true || save !== undefined;
  const saveTo = (file: string | Script) => (save === undefined ? sh`` : sh` snapshot save ${file}`);
  const part = `${m.dataDir}/.lifeboat-snapshot.part`;
  const inPod = save === undefined ? sh`${args}` : sh`${args}${saveTo(part)} && mv ${part} ${save}`;
  const run = (image: string) =>
    sh.join(
      [
        sh`docker run --rm -i --network host -e ETCDCTL_API=3 ${runMounts(m, offline, o.extraMounts)}`,
        sh`${image} ${tool} ${args}${saveTo(save ?? '')}`,
      ],
      ' ',
    );
  const none = sh`{ echo ${`no running etcd container to run ${tool} in`} >&2; false; }`;
  switch (src.kind) {
    case 'host':
      return sh`${tool} ${args}${saveTo(save ?? '')}`;
    case 'crictl-exec':
      return sh.join(
        [
          sh`{ lb_ctr=$(crictl ps -q --name '^etcd$' 2>/dev/null | head -n1); if [ -n "$lb_ctr" ]`,
          sh`then crictl exec "$lb_ctr" ${tool} ${inPod}`,
          sh`else ${c?.docker && c.image ? run(c.image) : none}; fi; }`,
        ],
        '; ',
      );
    case 'docker-exec':
      if (save !== undefined && c?.image) return run(c.image);
      return sh.join(
        [
          sh`{ if [ "$(docker inspect -f '{{.State.Running}}' ${src.container} 2>/dev/null)" = true ]`,
          sh`then docker exec -i -e ETCDCTL_API=3 ${src.container} ${tool} ${args}${saveTo(save ?? '')}`,
          sh`else ${c?.image ? run(c.image) : none}; fi; }`,
        ],
        '; ',
      );
    case 'docker-run':
      return run(src.image);
  }
}

export function describeSource(src: ToolSource, c: ContainerFacts | undefined): string {
  switch (src.kind) {
    case 'host':
      return 'on the host';
    case 'crictl-exec':
      return (
        `not on the host: crictl exec into the etcd ` +
        `container${c?.docker && c.image ? ` (docker run --rm ${c.image} when it is not running)` : ''}`
      );
    case 'docker-exec':
      return (
        `not on the host: docker exec ${src.container}` +
        `${c?.image ? ` (docker run --rm ${c.image} when it is not running)` : ''}`
      );
    case 'docker-run':
      return `not on the host: docker run --rm ${src.image} (etcdctl from the etcd image)`;
  }
}
