// The README's first command, end to end: the demo must pass on the lab and leave nothing running.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labDown } from '../../src/lab/down.js';
import { labFile } from '../../src/lab/paths.js';

describe('demo', () => {
  it('backup -> lose quorum -> diagnose -> recover-quorum -> diagnose -> data checked -> report, then the lab is down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-demo-'));
    // A demo cut short (timeout, crash) leaves its lab up: take it down whatever happened.
    try {
      const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'lifeboat'), 'demo', '--dir', dir], {
        encoding: 'utf8',
        timeout: 280_000,
        env: { ...process.env, CI: 'true' },
      });
      expect(r.status, r.stdout.slice(-2000) + r.stderr.slice(-2000)).toBe(0);
      expect(r.stdout).toMatch(/every seeded key and value is back/);
      const report = /report: +(\S+)/.exec(r.stdout)?.[1];
      expect(report && existsSync(report)).toBe(true);
      expect(r.stdout).toMatch(/lab .* is down/);
    } finally {
      const labDir = join(dir, 'lab');
      if (existsSync(labFile(labDir))) await labDown(labDir).catch(() => undefined);
    }
  });
});
