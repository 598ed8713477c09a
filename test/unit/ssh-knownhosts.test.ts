import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  blobKeyType,
  checkHostKey,
  fingerprint,
  hashHostName,
  hostKeyAlgorithms,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
} from '../../src/ssh/knownhosts.js';
import { globMatch, patternListMatch } from '../../src/ssh/pattern.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh public key of a type, from ssh-keygen: [type, base64 blob]. */
function genKey(type: 'ed25519' | 'ecdsa' | 'rsa'): { type: string; b64: string; blob: Buffer } {
  const f = join(dir, `k-${type}-${randomBytes(4).toString('hex')}`);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    '-N',
    '',
    '-f',
    f,
  ]);
  const [t, b64] = readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/) as [string, string];
  return { type: t, b64, blob: Buffer.from(b64, 'base64') };
}

const ed = genKey('ed25519');
const ec = genKey('ecdsa');
const rsa = genKey('rsa');
const other = genKey('ed25519');

describe('known_hosts parsing and matching', () => {
  it('reads key types from the blob and skips junk lines', () => {
    expect(blobKeyType(ed.blob)).toBe('ssh-ed25519');
    expect(blobKeyType(ec.blob)).toBe('ecdsa-sha2-nistp256');
    expect(blobKeyType(rsa.blob)).toBe('ssh-rsa');
    const e = parseKnownHosts(
      `# comment\n\ngarbage\nhost ssh-ed25519 ${rsa.b64}\nhost ${ed.type} ${ed.b64}\n`,
    );
    expect(e).toHaveLength(1); // mismatched type/blob line is dropped
    expect(e[0]?.line).toBe(5);
  });

  it('matches plain, comma lists, [host]:port and patterns', () => {
    const e = parseKnownHosts(
      [
        `a.example,10.0.0.1 ${ed.type} ${ed.b64}`,
        `[10.0.0.2]:2222 ${ec.type} ${ec.b64}`,
        `*.lab,!bad.lab ${rsa.type} ${rsa.b64}`,
      ].join('\n'),
    );
    expect(checkHostKey(e, '10.0.0.1', 22, ed.blob).status).toBe('known');
    expect(checkHostKey(e, 'A.EXAMPLE', 22, ed.blob).status).toBe('known');
    expect(checkHostKey(e, '10.0.0.2', 2222, ec.blob).status).toBe('known');
    // Port 22 entry does not cover another port, and vice versa.
    expect(checkHostKey(e, '10.0.0.1', 2222, ed.blob).status).toBe('unknown');
    expect(checkHostKey(e, '10.0.0.2', 22, ec.blob).status).toBe('unknown');
    expect(checkHostKey(e, 'n1.lab', 22, rsa.blob).status).toBe('known');
    expect(checkHostKey(e, 'bad.lab', 22, rsa.blob).status).toBe('unknown');
  });

  it('matches hashed entries written by ssh-keygen -H and by HMAC-SHA1 directly', () => {
    const f = join(dir, 'hashed');
    writeFileSync(f, `10.1.1.1 ${ed.type} ${ed.b64}\n[10.1.1.2]:2200 ${ec.type} ${ec.b64}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'pipe' });
    const text = readFileSync(f, 'utf8');
    expect(text).not.toContain('10.1.1.1');
    const e = parseKnownHosts(text);
    expect(e.every((x) => x.hashed !== undefined)).toBe(true);
    expect(checkHostKey(e, '10.1.1.1', 22, ed.blob).status).toBe('known');
    expect(checkHostKey(e, '10.1.1.2', 2200, ec.blob).status).toBe('known');
    expect(checkHostKey(e, '10.1.1.3', 22, ed.blob).status).toBe('unknown');

    const mine = parseKnownHosts(
      `${hashHostName(knownHostsName('h.example', 2022), randomBytes(20))} ${rsa.type} ${rsa.b64}`,
    );
    expect(checkHostKey(mine, 'h.example', 2022, rsa.blob).status).toBe('known');
    expect(checkHostKey(mine, 'h.example', 22, rsa.blob).status).toBe('unknown');
  });

  it('reports a different key for a known host as changed, whatever its type', () => {
    const e = parseKnownHosts(`host1 ${ed.type} ${ed.b64}\nhost1 ${ec.type} ${ec.b64}`);
    const sameType = checkHostKey(e, 'host1', 22, other.blob);
    expect(sameType).toEqual({
      status: 'changed',
      knownTypes: ['ssh-ed25519', 'ecdsa-sha2-nistp256'],
      lines: [1, 2],
    });
    expect(checkHostKey(e, 'host1', 22, rsa.blob).status).toBe('changed');
    expect(checkHostKey(e, 'host1', 22, ec.blob).status).toBe('known');
  });

  it('refuses @revoked keys and ignores @cert-authority lines', () => {
    const e = parseKnownHosts(
      `@revoked * ${other.type} ${other.b64}\n@cert-authority *.lab ${rsa.type} ${rsa.b64}\nx ${ed.type} ${ed.b64}`,
    );
    expect(checkHostKey(e, 'x', 22, other.blob).status).toBe('revoked');
    expect(checkHostKey(e, 'n.lab', 22, rsa.blob).status).toBe('ca-only');
    expect(checkHostKey(e, 'other', 22, rsa.blob).status).toBe('unknown');
  });

  it('a host vouched for only by @cert-authority is refused in one line, even with --accept-new-host-keys', async () => {
    const { verifyHostKey } = await import('../../src/ssh/hostkey.js');
    const file = join(dir, 'kh-ca');
    writeFileSync(file, `@cert-authority *.lab ${rsa.type} ${rsa.b64}\n`);
    const hop = {
      alias: 'n.lab',
      host: 'n.lab',
      port: 22,
      user: 'root',
      identityFiles: [],
      identityExplicit: false,
      knownHostsFile: file,
    } as never;
    const accepted: string[] = [];
    const err = await verifyHostKey(hop, await readKnownHosts(file), ed.blob, {
      acceptNew: true,
      onAccepted: (h) => void accepted.push(h),
    }).catch((e: unknown) => e as { code: string; oneLine(): string });
    expect(err).toMatchObject({ code: 'hostkey' });
    expect((err as { oneLine(): string }).oneLine()).toMatch(
      /only by an @cert-authority line \(.*kh-ca line 1\)/,
    );
    expect(accepted).toEqual([]);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('reads the system-wide known_hosts after the user file', async () => {
    const { readAllKnownHosts } = await import('../../src/ssh/knownhosts.js');
    const global = join(dir, 'ssh_known_hosts');
    writeFileSync(global, `g.lab ${ed.type} ${ed.b64}\n`);
    const old = process.env.LIFEBOAT_GLOBAL_KNOWN_HOSTS;
    process.env.LIFEBOAT_GLOBAL_KNOWN_HOSTS = global;
    try {
      const e = await readAllKnownHosts(join(dir, 'missing-user-file'));
      expect(checkHostKey(e, 'g.lab', 22, ed.blob)).toEqual({ status: 'known', line: -1 });
      expect(checkHostKey(e, 'g.lab', 22, rsa.blob).status).toBe('changed');
    } finally {
      if (old === undefined) delete process.env.LIFEBOAT_GLOBAL_KNOWN_HOSTS;
      else process.env.LIFEBOAT_GLOBAL_KNOWN_HOSTS = old;
    }
  });

  it('prefers the host key algorithms on record', () => {
    const e = parseKnownHosts(`[h]:2222 ${rsa.type} ${rsa.b64}`);
    expect(knownKeyTypes(e, 'h', 2222)).toEqual(['ssh-rsa']);
    expect(hostKeyAlgorithms(['ssh-rsa']).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
  });

  it('fingerprints like ssh-keygen -l', () => {
    const f = join(dir, 'fp.pub');
    writeFileSync(f, `${ed.type} ${ed.b64}\n`);
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', f], { encoding: 'utf8' });
    expect(out).toContain(fingerprint(ed.blob));
  });

  it('appends first-contact entries that ssh-keygen -F finds', async () => {
    const f = join(dir, 'sub', 'known_hosts');
    await appendKnownHost(f, '127.0.0.9', 2201, ec.blob);
    await appendKnownHost(f, 'plain.example', 22, ed.blob);
    expect(checkHostKey(await readKnownHosts(f), '127.0.0.9', 2201, ec.blob).status).toBe('known');
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.9]:2201', '-f', f], { encoding: 'utf8' });
    expect(found).toContain(ec.b64);
    expect(await readKnownHosts(join(dir, 'missing'))).toEqual([]);
  });
});

describe('host patterns', () => {
  it('handles * ? and negation', () => {
    expect(globMatch('*.example.com', 'a.example.com')).toBe(true);
    expect(globMatch('*.example.com', 'example.com')).toBe(false);
    expect(globMatch('node?', 'node1')).toBe(true);
    expect(globMatch('node?', 'node12')).toBe(false);
    expect(globMatch('a*b*c', 'axxbyyc')).toBe(true);
    expect(globMatch('a*b*c', 'axxbyy')).toBe(false);
    expect(patternListMatch(['10.0.*', '!10.0.0.5'], '10.0.0.4')).toBe(true);
    expect(patternListMatch(['10.0.*', '!10.0.0.5'], '10.0.0.5')).toBe(false);
    expect(patternListMatch(['!x'], 'y')).toBe(false);
  });
});
