// etcd's certificates per member, read from the host and decoded here: expiry, days left, SANs against its address.
// The files: kubeadm's or etcd.conf's usual ones, and whatever etcd's and its client's configuration name.
import { X509Certificate } from 'node:crypto';
import { dirname } from 'node:path';
import type { Executor } from '../shell/executor.js';
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
  /** Its start, when it lies in the future: TLS refuses the certificate until then. */
  notBefore?: string;
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

// The host prints each cert's first PEM CERTIFICATE block and Lifeboat decodes it: no openssl on the host (each
// start cost ~13 ms of CPU, ten per static-pod member per diagnosis), and never a key, whatever a flag points at.
const pemOf = (f: Script | string) =>
  sh`head -c 65536 ${f} | sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{p;/-----END/q;}'`;

const certLine = (f: string) => sh`if [ -f ${f} ]; then echo "cert|"${f}"|"; ${pemOf(f)}; fi`;

/** The same for a path read on the host (an etcd flag, or its client's), tagged with its role. */
const namedLine = (role: CertInfo['role'], path: Script) =>
  sh`f=${path}; if [ -n "$f" ] && [ -f "$f" ]; then echo "cert|$f|"${role}; ${pemOf(sh`"$f"`)}; fi`;

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

/** One cert as the host printed it: its file, the role the host tagged it with (if any), its end and SANs. */
export interface CertSeen {
  file: string;
  tagged: string;
  notAfter: number;
  notBefore?: number;
  sans: string[];
}

/** A PEM block decoded: its start and end (ms) and SANs as `DNS:x` / `IP:y`; null when it is not a certificate. */
export function decodePem(pem: string): { notAfter: number; notBefore?: number; sans: string[] } | null {
  try {
    const c = new X509Certificate(pem);
    const notAfter = Date.parse(c.validTo);
    const notBefore = Date.parse(c.validFrom);
    if (!Number.isFinite(notAfter)) return null;
    const sans = (c.subjectAltName ?? '')
      .split(',')
      .map((x) => x.trim().replace(/^IP Address:/, 'IP:'))
      .filter(Boolean);
    return { notAfter, ...(Number.isFinite(notBefore) ? { notBefore } : {}), sans };
  } catch {
    return null;
  }
}

/** The host's output split into certs: a `cert|FILE|ROLE` line, then that file's PEM block. */
export function splitCerts(out: string): CertSeen[] {
  const seen: CertSeen[] = [];
  let head: { file: string; tagged: string } | null = null;
  let pem: string[] = [];
  const flush = () => {
    const d = head && decodePem(pem.join('\n'));
    if (head && d) seen.push({ ...head, ...d });
    head = null;
    pem = [];
  };
  for (const line of out.split('\n')) {
    const [tag, file = '', tagged = ''] = line.split('|');
    if (tag === 'cert' && line.startsWith('cert|')) {
      flush();
      head = { file, tagged };
    } else if (head) pem.push(line);
  }
  flush();
  return seen;
}

export function parseCerts(member: ResolvedMember, topology: string, out: string, now: Date): CertInfo[] {
  return certInfos(member, topology, splitCerts(out), now);
}

export function certInfos(
  member: ResolvedMember,
  topology: string,
  certs: CertSeen[],
  now: Date,
): CertInfo[] {
  const roles = new Map(certFiles(topology, member).map((c) => [c.file, c.role]));
  const done = new Set<string>();
  return certs.flatMap(({ file, tagged, notAfter, notBefore, sans }): CertInfo[] => {
    // A file the layout names, or one the host's configuration named (its role tagged); each file once.
    const role = roles.get(file) ?? ROLES.find((r) => r === tagged);
    if (!role || done.has(file)) return [];
    done.add(file);
    const info: CertInfo = {
      member: member.name,
      file,
      role,
      notAfter: new Date(notAfter).toISOString(),
      daysLeft: Math.floor((notAfter - now.getTime()) / 86_400_000),
      sans,
    };
    if (notBefore !== undefined && notBefore > now.getTime())
      info.notBefore = new Date(notBefore).toISOString();
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
