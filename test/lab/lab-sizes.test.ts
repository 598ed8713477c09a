// Larger labs side by side (5 and 7 members), a lab whose starter was killed, and the CLI's one-line errors.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostPids, labDown, labStatus, labUp, readLab, waitFor, type Lab } from '../../src/lab/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'lifeboat');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('lab sizes, side by side', () => {
  const dirs = [
    mkdtempSync(join(tmpdir(), 'lifeboat-lab-5-')),
    mkdtempSync(join(tmpdir(), 'lifeboat-lab-7-')),
  ];
  afterAll(async () => {
    for (const d of dirs) {
      await labDown(d);
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('brings a 5-member static-pod lab and a 7-member systemd lab up at the same time, on different blocks', async () => {
    const [five, seven] = await Promise.all([
      labUp({ dir: dirs[0]!, members: 5, mode: 'static-pod' }),
      labUp({ dir: dirs[1]!, members: 7, mode: 'systemd' }),
    ]);
    expect(five.subnet).not.toBe(seven.subnet);
    for (const lab of [five, seven] as Lab[]) {
      const st = await labStatus(lab);
      expect(st.members).toHaveLength(lab.members.length);
      expect(st.members.every((m) => m.healthy && m.sshdUp)).toBe(true);
      expect(st.members.filter((m) => m.isLeader)).toHaveLength(1);
      expect(new Set(st.members.map((m) => m.raftIndex === null)).has(true)).toBe(false);
    }
    for (const d of dirs) expect((await labDown(d)).remaining).toEqual([]);
  });
});

describe('lab down after a crashed starter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-lab-crash-'));
  afterAll(async () => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops every process of a lab whose `lab up` was SIGKILLed mid-way, and frees its addresses', async () => {
    const child = spawn(process.execPath, [CLI, 'lab', 'up', '--dir', dir], { stdio: 'ignore' });
    // Kill the starter as soon as its hosts are booting.
    await waitFor(() => existsSync(join(dir, 'hosts', 'cp-3', 'state', 'init.ready')), {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'hosts to boot',
    });
    child.kill('SIGKILL');
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, {
      timeoutMs: 5000,
      what: 'starter to die',
    });
    const lab = readLab(dir);
    expect(hostPids(lab).length).toBeGreaterThan(0);
    const r = await labDown(dir);
    expect(r.remaining).toEqual([]);
    expect(hostPids(lab)).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`lifeboat-${lab.id}`);
    expect(existsSync(`/run/lifeboat/net-${lab.subnet}.json`)).toBe(false);
  });
});

describe('lab CLI errors', () => {
  it('answers a bad flag, a missing lab and an unknown scenario with one line and exit 2', async () => {
    for (const args of [
      ['lab', 'up', '--members', '4'],
      ['lab', 'status', '--dir', '/nonexistent/lifeboat-lab'],
      ['lab', 'up', '--subnet', '10.0.0'],
      ['lab', 'frobnicate'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^lifeboat: lab/);
    }
  });
});
