// etcd's certificates per member, read on the host with openssl: expiry, days left, SANs against the member's address.
// The files: kubeadm's or etcd.conf's usual ones, and whatever etcd's and its client's configuration name.
import { dirname } from 'node:path';
import type { Executor } from './ports.js';
import type { Inventory, ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
import type { Topology } from '../inventory/schema.js';
import { etcdFlagReader } from '../platform/addresses.js';
import { etcdClientFlagReader } from '../platform/clientcerts.js';
import type { Facts } from './facts.js';

/** Fewer days left than this is a warning (kubeadm's certificates last one year). */
export const CERT_WARN_DAYS = 30;

export interface CertInfo {
  member: string;
  file: string;
  /** server and peer certs must name the member's address; client certs name no address. */
  role: 'server' | 'peer' | 'client';
  notAfter: string;
  daysLeft: number;
  sans: string[];
  /** A server or peer cert without the member's IP among its SANs. */
  missingAddress?: boolean;
}

/**
 * The files to look at: kubeadm's layout for static pods (and the API server's etcd client cert), else
 * beside etcd.conf.
 */
export function certFiles(
  topology: string,
  m: ResolvedMember,
): Array<{ file: string; role: CertInfo['role'] }> {
  if (topology === 'static-pod') {
    const pki = `${dirname(dirname(m.manifest))}/pki`;
    return [
      { file: `${pki}/etcd/server.crt`, role: 'server' },
      { file: `${pki}/etcd/peer.crt`, role: 'peer' },
      { file: `${pki}/etcd/healthcheck-client.crt`, role: 'client' },
      { file: `${pki}/apiserver-etcd-client.crt`, role: 'client' },
    ];
  }
  const etc = dirname(m.config);
  return [
    { file: `${etc}/server.crt`, role: 'server' },
    { file: `${etc}/peer.crt`, role: 'peer' },
  ];
}

// One openssl per cert (each start costs ~50 ms of CPU); -ext needs OpenSSL 1.1.1+, else the date alone as before.
const certLine = (f: string) => {
  const both = sh`openssl x509 -in ${f} -noout -enddate -ext subjectAltName 2>/dev/null`;
  const date = sh`openssl x509 -in ${f} -noout -enddate 2>/dev/null`;
  return sh.lines(
    sh`if [ -f ${f} ]; then`,
    sh`  o=$(${both}) || o=$(${date})`,
    sh`  end=$(printf '%s\n' "$o" | sed -n 's/^notAfter=//p')`,
    sh`  san=$(printf '%s\n' "$o" | sed -n '/Subject Alternative Name/{n;p;}' | tr -d ' ')`,
    sh`  echo "cert|"${f}"|$end|$san"`,
    sh`fi`,
  );
};

/** The same for a path read on the host (an etcd flag, or its client's), tagged with its role. */
const namedLine = (role: CertInfo['role'], path: Script) =>
  sh.join(
    [
      sh`f=${path}; if [ -n "$f" ] && [ -f "$f" ]; then echo "cert|$f|$(openssl x509 -in "$f" -noout`,
      sh`-enddate 2>/dev/null | cut -d= -f2)|$(openssl x509 -in "$f" -noout -ext subjectAltName`,
      sh`2>/dev/null | tail -n +2 | tr -d ' ')|"${role}; fi`,
    ],
    ' ',
  );

/** The certs etcd's own configuration names (manifest, etcd.conf, container arguments) and its client's (API server,
 *  k3s): the layouts whose files are not at kubeadm's or etcd.conf's usual places (docker, k3s) are found this way. */
export function configuredCerts(topology: Topology, m: ResolvedMember): Script {
  const client = etcdClientFlagReader(m, topology);
  return sh.lines(
    sh`{`,
    etcdFlagReader(m, topology),
    namedLine('server', sh`$(v cert-file)`),
    namedLine('peer', sh`$(v peer-cert-file)`),
    client && sh.lines(client, namedLine('client', sh`$(a certfile)`)),
    sh`} 2>/dev/null || true`,
  );
}

const ROLES: ReadonlyArray<CertInfo['role']> = ['server', 'peer', 'client'];

export function parseCerts(member: ResolvedMember, topology: string, out: string, now: Date): CertInfo[] {
  const roles = new Map(certFiles(topology, member).map((c) => [c.file, c.role]));
  const seen = new Set<string>();
  return out.split('\n').flatMap((line): CertInfo[] => {
    const [tag, file = '', end = '', san = '', tagged = ''] = line.split('|');
    const t = Date.parse(end);
    // A file the layout names, or one the host's configuration named (its role after the SANs); each file once.
    const role = roles.get(file) ?? ROLES.find((r) => r === tagged);
    if (tag !== 'cert' || !role || seen.has(file) || !Number.isFinite(t)) return [];
    seen.add(file);
    const sans = san ? san.split(',').map((s) => s.replace(/^IPAddress:/, 'IP:')) : [];
    const info: CertInfo = {
      member: member.name,
      file,
      role,
      notAfter: new Date(t).toISOString(),
      daysLeft: Math.floor((t - now.getTime()) / 86_400_000),
      sans,
    };
    if (role !== 'client' && !sans.includes(`IP:${member.address}`)) info.missingAddress = true;
    return [info];
  });
}

/** Every reachable member's certificates; one that cannot be read is left out (its SSH error is reported elsewhere). */
export async function readCerts(inv: Inventory, facts: Facts, ex: Executor, now: Date): Promise<CertInfo[]> {
  const per = await Promise.all(
    inv.members.map(async (m) => {
      if (!facts.members[m.name]?.reachable) return [];
      try {
        const script = sh.lines(
          ...certFiles(inv.topology, m).map((c) => certLine(c.file)),
          configuredCerts(inv.topology, m),
          sh`true`,
        ).text;
        const r = await ex.exec(m.name, script, { timeoutMs: 30_000 });
        return parseCerts(m, inv.topology, r.stdout, now);
      } catch {
        return [];
      }
    }),
  );
  return per.flat();
}
