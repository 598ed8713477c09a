// How to call etcd's tools on one host: etcdctl for the API, etcdutl (3.5+) or etcdctl (3.4) for offline work.
import type { ResolvedMember } from '../inventory/resolve.js';
import type { MemberFacts } from './facts.js';

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
  const describe = [
    `etcdctl: ${etcdctlBin}${f?.etcdctlVersion ? ` (${f.etcdctlVersion})` : known ? '' : ' (assumed on PATH; --probe detects)'}`,
    `offline restore/status: ${useUtl ? `etcdutl ${utl}` : `etcdctl (etcdutl ${utl ? 'too old' : 'not found'})`}`,
  ].join('; ');
  if (ctlVersion !== undefined && ctlVersion >= 306 && !useUtl) {
    // 3.6 removed snapshot restore/status from etcdctl: without etcdutl the plan must say so loudly.
  }
  return {
    describe,
    etcdctl: (args, endpoints) => `ETCDCTL_API=3 ${etcdctlBin} --endpoints=${shq(endpoints ?? m.clientURL)} ${tls} ${args}`,
    restore(o) {
      const warnings: string[] = [];
      const parts = [
        useUtl ? `${offline} snapshot restore` : `ETCDCTL_API=3 ${offline} snapshot restore`,
        shq(o.snapshot),
        o.dataDirIsShell ? `--data-dir=${o.dataDir}` : `--data-dir=${shq(o.dataDir)}`,
        `--name=${shq(o.name)}`,
        `--initial-cluster=${shq(o.initialCluster)}`,
        `--initial-cluster-token=${shq(o.token)}`,
        `--initial-advertise-peer-urls=${shq(o.peerURL)}`,
      ];
      if (o.skipHashCheck) parts.push('--skip-hash-check');
      if (o.bumpRevision !== undefined) {
        if (useUtl) parts.push(`--bump-revision=${o.bumpRevision}`, '--mark-compacted');
        else warnings.push(`revision not bumped: etcdutl 3.5+ not found on the hosts (etcdctl ${f?.etcdctlVersion ?? 'unknown'}); restart every kube-apiserver so caches drop revisions newer than the snapshot`);
      }
      return { script: parts.join(' '), warnings };
    },
    snapshotStatus: (file) => (useUtl ? `${offline} snapshot status ${shq(file)} -w json` : `ETCDCTL_API=3 ${offline} snapshot status ${shq(file)} -w json`),
  };
}
