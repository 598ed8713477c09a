// Host key verification for one hop, and the first-contact acceptance path.
import { LifeboatError } from '../errors/error.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  knownHostsName,
  globalKnownHosts,
  readAllKnownHosts,
  type KnownHostEntry,
} from './knownhosts.js';
import type { Hop } from './target.js';

export interface HostKeyPolicy {
  acceptNew: boolean;
  onAccepted: ((host: string, fingerprint: string) => void) | undefined;
}

// Serialises read-check-append so two connections never append the same host twice.
let appendChain: Promise<unknown> = Promise.resolve();

/** A line of the user's file, or (negative) of the system-wide one. */
const where = (hop: Hop, line: number) =>
  line < 0 ? `${globalKnownHosts()} line ${-line}` : `${hop.knownHostsFile} line ${line}`;

function unknownError(hop: Hop, fp: string): LifeboatError {
  const name = knownHostsName(hop.host, hop.port);
  return new LifeboatError('hostkey', `host key for ${name} is not in ${hop.knownHostsFile}`, {
    host: name,
    hint: `verify the fingerprint ${fp} out of band, then add it or re-run with --accept-new-host-keys`,
  });
}

function changedError(hop: Hop, fp: string, lines: number[], types: string[]): LifeboatError {
  const name = knownHostsName(hop.host, hop.port);
  return new LifeboatError(
    'hostkey',
    `host key for ${name} has changed: ${lines.map((l) => where(hop, l)).join(', ')} records a ` +
      `different ${types.join('/')} key (possible man-in-the-middle)`,
    {
      host: name,
      hint:
        `if the host was really reinstalled, verify its new fingerprint ${fp} out of band and ` +
        `replace that line; --accept-new-host-keys never overrides a changed key`,
    },
  );
}

/** Resolves when the key may be used; rejects with a 'hostkey' LifeboatError otherwise. */
export async function verifyHostKey(
  hop: Hop,
  entries: readonly KnownHostEntry[],
  blob: Buffer,
  policy: HostKeyPolicy,
): Promise<void> {
  const fp = fingerprint(blob);
  const name = knownHostsName(hop.host, hop.port);
  const v = checkHostKey(entries, hop.host, hop.port, blob);
  if (v.status === 'known') return;
  if (v.status === 'revoked') {
    throw new LifeboatError(
      'hostkey',
      `host key ${fp} for ${name} is marked @revoked in ${where(hop, v.line)}`,
      {
        host: name,
        hint: 'the host presents a revoked key: do not connect until it is re-keyed',
      },
    );
  }
  if (v.status === 'changed') throw changedError(hop, fp, v.lines, v.knownTypes);
  // A CA vouches for this host, but ssh2 cannot check host certificates: refuse rather than trust the raw key.
  if (v.status === 'ca-only')
    throw new LifeboatError(
      'hostkey',
      `host ${name} is vouched for only by an @cert-authority line (${where(hop, v.line)}); ` +
        `Lifeboat cannot check host certificates`,
      {
        host: name,
        hint:
          `verify its key ${fp} out of band and add it as a plain known_hosts line; ` +
          `--accept-new-host-keys never bypasses a CA`,
      },
    );
  if (!policy.acceptNew) throw unknownError(hop, fp);
  const run = appendChain.then(async () => {
    // Re-read: another connection may have recorded this host meanwhile.
    const again = checkHostKey(await readAllKnownHosts(hop.knownHostsFile), hop.host, hop.port, blob);
    if (again.status === 'known') return;
    if (again.status === 'changed') throw changedError(hop, fp, again.lines, again.knownTypes);
    if (again.status === 'revoked' || again.status === 'ca-only') throw unknownError(hop, fp);
    await appendKnownHost(hop.knownHostsFile, hop.host, hop.port, blob);
    policy.onAccepted?.(name, fp);
  });
  appendChain = run.catch(() => undefined);
  await run;
}
