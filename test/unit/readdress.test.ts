// The shell that moves a member: the address swap in config files, certificate re-issue from a CA, the backup reader.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../src/errors/error.js';
import { readBackup } from '../../src/session/backup-input.js';
import { reissueCertScript } from '../../src/steps/certs.js';
import { swapAddressSed, withHost } from '../../src/steps/readdress.js';
import { issue, makeCa } from '../../src/lab/pki.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-readdress-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sh = (script: string) => execFileSync('bash', ['-c', script], { encoding: 'utf8' });

describe('readdress shell', () => {
  it('swaps an address only where it stands as an address (not inside a longer one)', () => {
    const f = join(dir, 'etcd.yaml');
    writeFileSync(
      f,
      [
        '    - --advertise-client-urls=https://10.0.0.12:2379',
        '    - --initial-cluster=a=https://10.0.0.11:2380,b=https://10.0.0.12:2380,c=https://10.0.0.123:2380',
        '    - --advertise-address=10.0.0.12',
        '        host: 10.0.0.12',
        '    x.endpoint: 10.0.0.12:6443',
        '',
      ].join('\n'),
    );
    sh(`${swapAddressSed('10.0.0.12', '10.1.0.22')} ${f}`);
    expect(readFileSync(f, 'utf8')).toBe(
      [
        '    - --advertise-client-urls=https://10.1.0.22:2379',
        '    - --initial-cluster=a=https://10.0.0.11:2380,b=https://10.1.0.22:2380,c=https://10.0.0.123:2380',
        '    - --advertise-address=10.1.0.22',
        '        host: 10.1.0.22',
        '    x.endpoint: 10.1.0.22:6443',
        '',
      ].join('\n'),
    );
    expect(withHost('https://10.0.0.12:2380', '10.1.0.22')).toBe('https://10.1.0.22:2380');
  });

  it("swaps addresses in k3s's quoted unit arguments and in container arguments (one a line)", () => {
    const f = join(dir, 'k3s.service');
    writeFileSync(
      f,
      [
        "    '--datastore-endpoint' \\",
        "        'https://10.0.0.11:2379,https://10.0.0.12:2379' \\",
        "        '--advertise-address=10.0.0.12' \\",
        '--listen-peer-urls=https://10.0.0.12:2380',
        '--advertise-address=10.0.0.12',
        '',
      ].join('\n'),
    );
    sh(`${swapAddressSed('10.0.0.12', '10.1.0.22')} ${f}`);
    expect(readFileSync(f, 'utf8')).toBe(
      [
        "    '--datastore-endpoint' \\",
        "        'https://10.0.0.11:2379,https://10.1.0.22:2379' \\",
        "        '--advertise-address=10.1.0.22' \\",
        '--listen-peer-urls=https://10.1.0.22:2380',
        '--advertise-address=10.1.0.22',
        '',
      ].join('\n'),
    );
  });

  it('re-issues a cert from the CA: new address in place of the old, other SANs and subject kept, old kept; idempotent', async () => {
    const ca = await makeCa(join(dir, 'pki'), 'ca', 'etcd-ca');
    const out = join(dir, 'pki', 'peer');
    await issue(ca, {
      out,
      cn: 'cp-2',
      ips: ['10.0.0.12', '127.0.0.1'],
      dns: ['cp-2'],
      server: true,
      client: true,
    });
    const script = reissueCertScript({
      cert: `${out}.crt`,
      key: `${out}.key`,
      caCert: ca.crt,
      caKey: ca.key,
      from: '10.0.0.12',
      to: '10.1.0.22',
      stamp: 'S1',
    });
    sh(script);
    const text = sh(`openssl x509 -in ${out}.crt -noout -subject -ext subjectAltName,extendedKeyUsage`);
    expect(text).toContain('IP Address:10.1.0.22');
    expect(text).toContain('IP Address:127.0.0.1');
    expect(text).toContain('DNS:cp-2');
    expect(text).not.toContain('10.0.0.12');
    expect(text).toMatch(/CN ?= ?cp-2/);
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(sh(`openssl verify -CAfile ${ca.crt} ${out}.crt`)).toContain('OK');
    expect(existsSync(`${out}.crt.before-S1`) && existsSync(`${out}.key.before-S1`)).toBe(true);
    expect(sh(script)).toContain('already valid for 10.1.0.22');
  });

  it('a backup folder without a manifest is bad input', () => {
    expect(() => readBackup(join(dir, 'nothing'))).toThrow(LifeboatError);
  });
});
