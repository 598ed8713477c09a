// Real TLS and SSH material for the lab: an etcd CA and per-host certs (openssl), host keys and the
// client key (ssh-keygen).
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { must } from './proc.js';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export async function makeCa(dir: string, name: string, cn: string): Promise<{ crt: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await must('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    key,
    '-out',
    crt,
    '-days',
    '3650',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  return { crt, key };
}

export interface CertSpec {
  /** Output path without extension: writes .crt and .key. */
  out: string;
  cn: string;
  org?: string;
  ips?: string[];
  dns?: string[];
  server: boolean;
  client: boolean;
}

/** Issues a cert signed by the CA (openssl 3 `req -x509 -CA`), P-256 key, mode 0600 key. */
export async function issue(ca: { crt: string; key: string }, spec: CertSpec): Promise<void> {
  mkdirSync(dirname(spec.out), { recursive: true });
  const eku = [spec.server ? 'serverAuth' : '', spec.client ? 'clientAuth' : ''].filter(Boolean).join(',');
  const san = [...(spec.dns ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((i) => `IP:${i}`)].join(
    ',',
  );
  const subj = `${spec.org ? `/O=${spec.org}` : ''}/CN=${spec.cn}`;
  const args = [
    'req',
    '-x509',
    ...EC,
    '-CA',
    ca.crt,
    '-CAkey',
    ca.key,
    '-keyout',
    `${spec.out}.key`,
    '-out',
    `${spec.out}.crt`,
    '-days',
    '3650',
    '-subj',
    subj,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext',
    `extendedKeyUsage=${eku}`,
  ];
  if (san) args.push('-addext', `subjectAltName=${san}`);
  await must('openssl', args);
}

/** An ed25519 key pair (OpenSSH format); returns the public key line. */
export async function sshKey(path: string, comment: string): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** known_hosts: one line per host address with its host public key (type and key only). */
export function writeKnownHosts(path: string, hosts: Array<{ address: string; pub: string }>): void {
  const lines = hosts.map((h) => {
    const [type, key] = h.pub.split(/\s+/);
    return `${h.address} ${type} ${key}`;
  });
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o644 });
}
