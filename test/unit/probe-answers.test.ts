// The probe's four etcd questions: asked at once through a temporary folder, or one after another without one;
// either way the same sections, and at once takes one question's time.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { etcdAnswers } from '../../src/etcd/facts.js';
import { sh } from '../../src/shell/sh.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-probe-'));
const fake = join(dir, 'etcdctl');
// Each question takes 0.4 s, as a member without quorum makes every linearizable one wait; health fails.
writeFileSync(
  fake,
  [
    '#!/bin/sh',
    'sleep 0.4',
    'case "$1 $2" in',
    '  "endpoint health") echo "x is unhealthy: Active Alarm(s): NOSPACE" >&2; exit 1;;',
    '  "endpoint status") echo \'[{"Status":{"header":{"revision":7}}}]\';;',
    '  "member list") echo \'{"members":[]}\';;',
    '  "alarm list") echo "memberID:1 alarm:NOSPACE";;',
    'esac',
  ].join('\n'),
);
chmodSync(fake, 0o755);

function run(tmp: string): { out: string; ms: number } {
  const started = Date.now();
  const r = spawnSync('sh', ['-c', etcdAnswers(sh`${fake}`).text], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, TMPDIR: tmp },
  });
  expect(r.status).toBe(0);
  return { out: r.stdout, ms: Date.now() - started };
}

describe('probe: etcd questions', () => {
  it('at once with a temporary folder, one after another without; the same sections either way', () => {
    const fast = run(dir);
    const slow = run(join(dir, 'missing')); // mktemp -d fails there
    expect(readdirSync(dir)).toEqual(['etcdctl']); // its temporary folder removed
    expect(fast.out).toBe(slow.out);
    expect(fast.out).toContain('alarm_only=1');
    expect(fast.out).toMatch(
      /--status--\n\[\{"Status".*\n--members--\n\{"members":\[\]\}\n--alarms--\nmemberID:1/,
    );
    expect(fast.ms).toBeLessThan(slow.ms);
    expect(slow.ms).toBeGreaterThanOrEqual(1600);
  });
});
