// `run --serve` under hostile requests during a real lab run: malformed request lines (absolute-form targets with bad
// ports, junk) and tokens of the right UTF-16 length but another UTF-8 length each get a 4xx; the run finishes, its
// cluster lock is released, and the page never took the recovery process down.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor, type Lab } from '../../src/lab/index.js';
import { hostileRequests } from '../helpers/hostile-http.js';
import { hostExists, oneLab, readAuditEvents, ROOT } from './runbook-helpers.js';

let lab: Lab;
const dir = oneLab('live', { members: 1, mode: 'static-pod' }, (l) => (lab = l));

describe('run --serve under hostile requests', () => {
  it('answers each with a 4xx while the run goes on to its end and releases the lock', async () => {
    const runDir = join(dir, 'run');
    const child = spawn(
      'node',
      [
        join(ROOT, 'bin/lifeboat'),
        ...['run', 'backup', '-i', lab.inventoryPath, '--set', `to=${join(dir, 'backups')}`, '--yes'],
        ...['--serve', '127.0.0.1:0', '--run-dir', runDir],
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const url = await waitFor(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out)?.[0], {
      timeoutMs: 60_000,
      what: 'the live URL',
    });
    const answers = await hostileRequests(url);
    // The run was still going while they were sent (else the test proves nothing about the run).
    const ended = () => readAuditEvents(runDir).some((e) => e.type === 'run.end');
    const stillRunning = !ended();
    const code = await exited;
    expect(answers.filter((a) => a.status < 400 || a.status > 499)).toEqual([]);
    expect(answers.length).toBeGreaterThan(20);
    expect(stillRunning, 'the requests were all answered before the run ended').toBe(true);
    expect(code, out.split('\n').slice(-30).join('\n')).toBe(0);
    expect(out).not.toMatch(/at .*\.js:\d+|internal error|live page stopped/);
    expect(ended()).toBe(true);
    for (const m of lab.members)
      expect(await hostExists(lab, m.name, '/backup/.lifeboat-lock'), `${m.name}: lock left`).toBe(false);
  });
});
