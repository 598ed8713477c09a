// known_hosts parsing and lookup: plain, hashed (|1|salt|hash), [host]:port and pattern entries; the key blob decides.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { patternListMatch } from './pattern.js';

export interface KnownHostEntry {
  marker: '@revoked' | '@cert-authority' | undefined;
  /** Plain host patterns, or undefined for a hashed entry. */
  patterns: string[] | undefined;
  hashed: { salt: Buffer; hash: Buffer } | undefined;
  keyType: string;
  key: Buffer;
  line: number;
}

/** Parses a known_hosts file; malformed lines are skipped like OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    const [hosts, keyType, keyB64] = fields;
    if (hosts === undefined || keyType === undefined || keyB64 === undefined) return;
    const key = Buffer.from(keyB64, 'base64');
    if (key.length === 0 || blobKeyType(key) !== keyType) return;
    let hashed: KnownHostEntry['hashed'];
    let patterns: string[] | undefined;
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (salt === undefined || hash === undefined) return;
      hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      patterns = hosts.split(',');
    }
    out.push({ marker, patterns, hashed, keyType, key, line: i + 1 });
  });
  return out;
}

/** The name OpenSSH stores for a host: bare on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** Hashed form of a host name, as `ssh-keygen -H` writes it (HMAC-SHA1 keyed by the salt). */
export function hashHostName(name: string, salt: Buffer): string {
  const h = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${h.toString('base64')}`;
}

export function entryMatches(e: KnownHostEntry, name: string): boolean {
  if (e.hashed) {
    const h = createHmac('sha1', e.hashed.salt).update(name).digest();
    return h.length === e.hashed.hash.length && timingSafeEqual(h, e.hashed.hash);
  }
  return patternListMatch(e.patterns ?? [], name);
}

/** The key type named inside an SSH public key blob (its first string). */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4 || len > 64) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:...` fingerprint, the form `ssh-keygen -lf` prints. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyVerdict =
  | { status: 'known'; line: number }
  | { status: 'unknown' }
  | { status: 'changed'; knownTypes: string[]; lines: number[] }
  | { status: 'revoked'; line: number }
  /** No key of the host's own on record, but an @cert-authority line names it: only a host certificate could pass. */
  | { status: 'ca-only'; line: number };

/** Judges a presented host key blob against the entries for `host:port`. */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  blob: Buffer,
): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e, name));
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(blob));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const plain = mine.filter((e) => e.marker === undefined);
  const hit = plain.find((e) => e.key.equals(blob));
  if (hit) return { status: 'known', line: hit.line };
  const ca = entries.find((e) => e.marker === '@cert-authority' && entryMatches(e, name));
  if (plain.length === 0) return ca ? { status: 'ca-only', line: ca.line } : { status: 'unknown' };
  // Any other key on record for this host (of any type) means the host's identity changed: never auto-accepted.
  return {
    status: 'changed',
    knownTypes: [...new Set(plain.map((e) => e.keyType))],
    lines: plain.map((e) => e.line),
  };
}

/** Key types on record for a host, so the handshake asks for a key we can actually check. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  return [
    ...new Set(entries.filter((e) => e.marker === undefined && entryMatches(e, name)).map((e) => e.keyType)),
  ];
}

const ALGOS_FOR_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_ALGOS = Object.values(ALGOS_FOR_TYPE).flat();

/** Host key algorithm preference: the types we already know first, like OpenSSH does. */
export function hostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const first = knownTypes.flatMap((t) => ALGOS_FOR_TYPE[t] ?? []);
  return [...first, ...DEFAULT_ALGOS.filter((a) => !first.includes(a))];
}

/** The system-wide file OpenSSH reads after the user's (LIFEBOAT_GLOBAL_KNOWN_HOSTS moves it, for tests). */
export const globalKnownHosts = () => process.env.LIFEBOAT_GLOBAL_KNOWN_HOSTS ?? '/etc/ssh/ssh_known_hosts';

/** The user's entries then the system-wide ones, as OpenSSH consults them; line numbers past the user's are offset. */
export async function readAllKnownHosts(file: string): Promise<KnownHostEntry[]> {
  const mine = await readKnownHosts(file);
  const global = await readKnownHosts(globalKnownHosts()).catch(() => []);
  return [...mine, ...global.map((e) => ({ ...e, line: -e.line }))];
}

export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Appends one plain entry (first contact only); O_APPEND keeps concurrent appends whole. */
export async function appendKnownHost(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  const type = blobKeyType(blob);
  if (type === undefined) throw new Error('not an SSH public key blob');
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = await readFile(file, 'utf8');
    if (cur.length > 0 && !cur.endsWith('\n')) prefix = '\n';
  } catch {
    // a missing file is created by appendFile below
  }
  await appendFile(file, `${prefix}${knownHostsName(host, port)} ${type} ${blob.toString('base64')}\n`, {
    mode: 0o600,
  });
}
