// How to call etcd's tools on one host: etcdctl for the API, etcdutl (3.5+) or etcdctl (3.4) for offline work.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import type { MemberFacts } from './facts.js';
import { chooseSource, containerCommand, describeSource } from '../platform/containers.js';

/** POSIX single-quote a word for sh. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface RestoreOpts {
  snapshot: string;
  dataDir: string;
  name: string;
  initialCluster: string;
  token: string;
  peerURL: string;
  /** Revisions to add on a full restore (3.5+ only), so watchers never see revisions go back. */
  bumpRevision?: number;
  skipHashCheck?: boolean;
  /** dataDir is a shell expression (e.g. "$t") to pass unquoted. */
  dataDirIsShell?: boolean;
}

export interface Tools {
  /** Which tool was chosen and why, for the plan. */
  describe: string;
  /** An etcdctl v3 call against this member (or the given endpoints) with its TLS files. */
  etcdctl(args: string, endpoints?: string): string;
  /** Offline snapshot restore; warnings are recorded when a safety feature is not available. */
  restore(o: RestoreOpts): { script: string; warnings: string[] };
  /** Offline snapshot status (hash, revision, total keys). */
  snapshotStatus(file: string): string;
}

const major = (v: string | undefined) => {
  const m = /^(\d+)\.(\d+)/.exec(v ?? '');
  return m ? Number(m[1]) * 100 + Number(m[2]) : undefined;
};

export function makeTools(m: ResolvedMember, f: MemberFacts | undefined): Tools {
  const etcdctlBin = m.tools.etcdctl ?? f?.etcdctl ?? 'etcdctl';
  const ctlVersion = major(f?.etcdctlVersion);
  const utl = m.tools.etcdutl ?? f?.etcdutl;
  const utlVersion = major(f?.etcdutlVersion) ?? (m.tools.etcdutl ? 305 : undefined);
  const useUtl = utl !== undefined && (utlVersion ?? 305) >= 305;
  const tls = `--cacert=${shq(m.tls.ca)} --cert=${shq(m.tls.cert)} --key=${shq(m.tls.key)}`;
  const offline = useUtl ? utl : etcdctlBin;
  const known = f?.etcdctl !== undefined || m.tools.etcdctl !== undefined;
  // etcdctl anywhere: not on the host, so from the etcd container (online) or the etcd image (offline, docker run).
  const ctr = f?.containers;
  const online = known || !f ? undefined : chooseSource(ctr);
  const image = !known && utl === undefined && ctr?.docker && ctr.image ? ctr.image : undefined;
  const imageMajor = major(
    ctr?.etcdutlVersion ?? ctr?.etcdctlVersion ?? /:v?(\d+\.\d+)/.exec(image ?? '')?.[1],
  );
  const imageTool: 'etcdutl' | 'etcdctl' = (imageMajor ?? 0) >= 305 ? 'etcdutl' : 'etcdctl';
  const offlineCmd = (rest: string, extra: string[]) =>
    image
      ? containerCommand({ kind: 'docker-run', image }, imageTool, m, ctr, true, rest, extra)
      : useUtl
        ? `${offline} ${rest}`
        : `ETCDCTL_API=3 ${offline} ${rest}`;
  const bumpOk = image ? imageTool === 'etcdutl' : useUtl;
  const describe = [
    online
      ? `etcdctl: ${describeSource(online, ctr)}${ctr?.etcdctlVersion ? ` (${ctr.etcdctlVersion})` : ''}`
      : `etcdctl: ${etcdctlBin}${f?.etcdctlVersion ? ` (${f.etcdctlVersion})` : known ? '' : ' (assumed on PATH; --probe detects)'}`,
    `offline restore/status: ${image ? `${imageTool} from the image: docker run --rm ${image}` : useUtl ? `etcdutl ${utl}` : `etcdctl (etcdutl ${utl ? 'too old' : 'not found'})`}`,
  ].join('; ');
  /** 3.6 removed snapshot restore/status from etcdctl: without etcdutl the plan says so. */
  const noRestore = !image && !useUtl && ctlVersion !== undefined && ctlVersion >= 306;
  return {
    describe,
    etcdctl: (args, endpoints) =>
      online && online.kind !== 'host'
        ? containerCommand(
            online,
            'etcdctl',
            m,
            ctr,
            false,
            `--endpoints=${shq(endpoints ?? m.clientURL)} ${tls} ${args}`,
          )
        : `ETCDCTL_API=3 ${etcdctlBin} --endpoints=${shq(endpoints ?? m.clientURL)} ${tls} ${args}`,
    restore(o) {
      const warnings: string[] = [];
      if (noRestore)
        warnings.push(
          `etcdctl ${f?.etcdctlVersion ?? ''} on ${m.name} has no 'snapshot restore' (removed in 3.6) and etcdutl was not found: install etcdutl or name it in the inventory (etcd.tools.etcdutl)`,
        );
      const parts = [
        'snapshot restore',
        shq(o.snapshot),
        o.dataDirIsShell ? `--data-dir=${o.dataDir}` : `--data-dir=${shq(o.dataDir)}`,
        `--name=${shq(o.name)}`,
        `--initial-cluster=${shq(o.initialCluster)}`,
        `--initial-cluster-token=${shq(o.token)}`,
        `--initial-advertise-peer-urls=${shq(o.peerURL)}`,
      ];
      if (o.skipHashCheck) parts.push('--skip-hash-check');
      if (o.bumpRevision !== undefined) {
        if (bumpOk) parts.push(`--bump-revision=${o.bumpRevision}`, '--mark-compacted');
        else
          warnings.push(
            `revision not bumped: etcdutl 3.5+ not found on the hosts (etcdctl ${f?.etcdctlVersion ?? ctr?.etcdctlVersion ?? 'unknown'}); restart every kube-apiserver so caches drop revisions newer than the snapshot`,
          );
      }
      return { script: offlineCmd(parts.join(' '), [dirname(o.snapshot)]), warnings };
    },
    snapshotStatus: (file) => offlineCmd(`snapshot status ${shq(file)} -w json`, [dirname(file)]),
  };
}
