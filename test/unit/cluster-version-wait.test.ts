// The rejoin step waits while the cluster says its version is not decided (a member started then exits for good), and
// does not wait when curl or /version is missing.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedMember } from '../../src/inventory/resolve.js';
import { clusterVersionDecided } from '../../src/steps/members.js';

const tls = { ca: '/x/ca.crt', cert: '/x/my cert.crt', key: '/x/k.key' };
const via = { clientURL: 'https://127.0.9.11:2379' } as ResolvedMember;

/** A PATH whose curl answers not_decided for the first `undecided` calls (or fails), recording every argv. */
function stubCurl(undecided: number, fails = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-curl-'));
  const body = fails
    ? 'exit 7'
    : `n=$(cat "${dir}/n" 2>/dev/null || echo 0); echo $((n+1)) > "${dir}/n"
if [ "$n" -lt ${undecided} ]; then echo '{"etcdserver":"3.4.23","etcdcluster":"not_decided"}'; else echo '{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}'; fi`;
  writeFileSync(join(dir, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$@" >> "${dir}/argv"\n${body}\n`);
  chmodSync(join(dir, 'curl'), 0o755);
  return dir;
}

const run = (dir: string) =>
  execFileSync('sh', ['-c', `${clusterVersionDecided(tls, via)}; echo ok`], {
    env: { PATH: `${dir}:/usr/bin:/bin` },
    encoding: 'utf8',
  });

describe('clusterVersionDecided', () => {
  it('polls until the version is decided, with the member TLS files as single words', () => {
    const dir = stubCurl(3);
    expect(run(dir)).toBe('ok\n');
    expect(readFileSync(join(dir, 'n'), 'utf8').trim()).toBe('4');
    const argv = readFileSync(join(dir, 'argv'), 'utf8').split('\n');
    expect(argv).toContain('/x/my cert.crt');
    expect(argv).toContain('https://127.0.9.11:2379/version');
  });

  it('does not wait when /version does not answer', () => {
    const dir = stubCurl(0, true);
    expect(run(dir)).toBe('ok\n');
    expect(
      readFileSync(join(dir, 'argv'), 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('/version')),
    ).toHaveLength(1);
  });

  it('is empty without a member to ask', () => {
    expect(String(clusterVersionDecided(tls, undefined))).toBe('');
  });
});
