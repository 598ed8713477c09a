// How to call etcd's tools on one host: etcdctl for the API, etcdutl (3.5+) or etcdctl (3.4) for offline work.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import type { MemberFacts } from './facts.js';
import { chooseSource, containerCommand, describeSource } from '../platform/containers.js';
import { sh, type Script } from '../shell/sh.js';

export interface RestoreOpts {
  snapshot: string;
  /** A path, or a shell expression of this program's (e.g. sh.raw('"$t"')). */
  dataDir: string | Script;
  name: string;
  initialCluster: string;
  token: string;
  peerURL: string;
  /** Revisions to add on a full restore (3.5+ only), so watchers never see revisions go back. */
  bumpRevision?: number;
  skipHashCheck?: boolean;
}

export interface Tools {
  /** Which tool was chosen and why, for the plan. */
  describe: string;
  /** An etcdctl v3 call against this member (or the given endpoints) with its TLS files. */
  etcdctl(args: Script, endpoints?: string): Script;
  /** `etcdctl snapshot save FILE` (FILE a path or a shell expression), wherever etcdctl runs. */
  snapshotSave(file: string | Script, flags?: Script): Script;
  /** Offline snapshot restore; warnings are recorded when a safety feature is not available. */
  restore(o: RestoreOpts): { script: Script; warnings: string[] };
  /** Offline snapshot status (hash, revision, total keys). */
  snapshotStatus(file: string): Script;
  /** A restore here can bump the revision and mark it compacted (etcdutl 3.5+). */
  bumps: boolean;
}

/** What an unbumped restore means for Kubernetes (kubernetes#118501), said in the plan and the audit log. */
export const NOT_BUMPED =
  'watchers and informers may see revisions go backwards (and miss or replay events): after the ' +
  'restore restart every kube-apiserver, kube-controller-manager, kube-scheduler and kubelet so ' +
  'their caches relist';

const major = (v: string | undefined) => {
  const m = /^(\d+)\.(\d+)/.exec(v ?? '');
  return m ? Number(m[1]) * 100 + Number(m[2]) : undefined;
};

/** An inventory tool is a command prefix (`crictl exec -i ID etcdctl`): its words, each quoted. */
const words = (cmd: string) => cmd.split(/\s+/).filter(Boolean);

export function makeTools(m: ResolvedMember, f: MemberFacts | undefined): Tools {
  const etcdctlBin = m.tools.etcdctl ?? f?.etcdctl ?? 'etcdctl';
  const ctlVersion = major(f?.etcdctlVersion);
  const utl = m.tools.etcdutl ?? f?.etcdutl;
  const utlVersion = major(f?.etcdutlVersion) ?? (m.tools.etcdutl ? 305 : undefined);
  const useUtl = utl !== undefined && (utlVersion ?? 305) >= 305;
  const tls = sh`--cacert=${m.tls.ca} --cert=${m.tls.cert} --key=${m.tls.key}`;
  const known = f?.etcdctl !== undefined || m.tools.etcdctl !== undefined;
  // etcdctl anywhere: not on the host, so from the etcd container (online) or the etcd image (offline, docker run).
  const ctr = f?.containers;
  const online = known || !f ? undefined : chooseSource(ctr);
  const image = !known && utl === undefined && ctr?.docker && ctr.image ? ctr.image : undefined;
  const imageMajor = major(
    ctr?.etcdutlVersion ?? ctr?.etcdctlVersion ?? /:v?(\d+\.\d+)/.exec(image ?? '')?.[1],
  );
  const imageTool: 'etcdutl' | 'etcdctl' = (imageMajor ?? 0) >= 305 ? 'etcdutl' : 'etcdctl';
  // etcdctl 3.6 warns on every call that ETCDCTL_API is unknown (v3 is the only API since 3.4's default).
  const api = ctlVersion !== undefined && ctlVersion >= 306 ? sh`` : sh`ETCDCTL_API=3 `;
  const offlineCmd = (rest: Script, extra: string[]) =>
    image
      ? containerCommand(
          { kind: 'docker-run', image },
          imageTool,
          m,
          ctr,
          { offline: true, extraMounts: extra },
          rest,
        )
      : useUtl
        ? sh`${words(utl)} ${rest}`
        : sh`${api}${words(etcdctlBin)} ${rest}`;
  const bumpOk = image ? imageTool === 'etcdutl' : useUtl;
  const describe = [
    online
      ? `etcdctl: ${describeSource(online, ctr)}${ctr?.etcdctlVersion ? ` (${ctr.etcdctlVersion})` : ''}`
      : `etcdctl: ${etcdctlBin}` +
        `${f?.etcdctlVersion ? ` (${f.etcdctlVersion})` : known ? '' : ' (assumed on PATH; --probe detects)'}`,
    `offline restore/status: ` +
      `${image ? `${imageTool} from the image: docker run --rm ${image}` : useUtl ? `etcdutl ${utl}` : `etcdctl (etcdutl ${utl ? 'too old' : 'not found'})`}`,
  ].join('; ');
  /** 3.6 removed snapshot restore/status from etcdctl: without etcdutl the plan says so. */
  const noRestore = !image && !useUtl && ctlVersion !== undefined && ctlVersion >= 306;
  const etcdctl = (args: Script, endpoints?: string, save?: string | Script) => {
    const full = sh`--endpoints=${endpoints ?? m.clientURL} ${tls}${args.text ? sh` ${args}` : sh``}`;
    if (online && online.kind !== 'host') return containerCommand(online, 'etcdctl', m, ctr, { save }, full);
    return sh`${api}${words(etcdctlBin)} ${full}${save === undefined ? sh`` : sh` snapshot save ${save}`}`;
  };
  return {
    describe,
    etcdctl: (args, endpoints) => etcdctl(args, endpoints),
    snapshotSave: (file, flags = sh``) => etcdctl(flags, undefined, file),
    restore(o) {
      const warnings: string[] = [];
      if (noRestore)
        warnings.push(
          `etcdctl ${f?.etcdctlVersion ?? ''} on ${m.name} has no 'snapshot restore' (removed in ` +
            `3.6) and etcdutl was not found: install etcdutl or name it in the inventory ` +
            `(etcd.tools.etcdutl)`,
        );
      const flags = [
        sh`snapshot restore ${o.snapshot}`,
        sh`--data-dir=${o.dataDir}`,
        sh`--name=${o.name}`,
        sh`--initial-cluster=${o.initialCluster}`,
        sh`--initial-cluster-token=${o.token}`,
        sh`--initial-advertise-peer-urls=${o.peerURL}`,
      ];
      if (o.skipHashCheck) flags.push(sh`--skip-hash-check`);
      if (o.bumpRevision !== undefined) {
        if (bumpOk) flags.push(sh`--bump-revision=${o.bumpRevision}`, sh`--mark-compacted`);
        else
          warnings.push(
            `revision not bumped: etcdutl 3.5+ not found on the hosts (etcdctl ` +
              `${f?.etcdctlVersion ?? ctr?.etcdctlVersion ?? 'unknown'}); ${NOT_BUMPED}`,
          );
      }
      return { script: offlineCmd(sh.join(flags, ' '), [dirname(o.snapshot)]), warnings };
    },
    bumps: bumpOk,
    snapshotStatus: (file) => offlineCmd(sh`snapshot status ${file} -w json`, [dirname(file)]),
  };
}
