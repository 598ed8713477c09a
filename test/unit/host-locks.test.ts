// The per-host script lock: in a 0700 folder beside the backups (not world-writable /tmp), refused when that folder is
// a planted symlink, and removed (its empty lock files by name) when the run ends. The scripts run under sh here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostLockDir, removeHostLocks } from '../../src/engine/record/clusterlock.js';
import type { Inventory } from '../../src/inventory/resolve.js';
import type { Executor } from '../../src/shell/executor.js';
import type { PlanCtx } from '../../src/engine/types.js';
import type { ResolvedMember } from '../../src/inventory/resolve.js';
import { serial } from '../../src/steps/data.js';

const root = mkdtempSync(join(tmpdir(), 'lifeboat-hostlocks-'));
const sh = (script: string) => spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 20_000 });
const ctx = (backupDir: string, name: string) =>
  ({ runId: 'r1', member: { name, backupDir } as ResolvedMember }) as unknown as PlanCtx & {
    member: ResolvedMember;
  };

describe('host locks', () => {
  it('are taken in a 0700 folder in the backup dir, not in /tmp', () => {
    const backupDir = join(root, 'ok');
    const r = sh(`set -e\n${serial(ctx(backupDir, 'cp-1')).text}\necho ran`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ran');
    const dir = hostLockDir(backupDir, 'r1');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(['cp-1.lock']);
    expect(serial(ctx(backupDir, 'cp-1')).text).toContain(`exec 9>>${dir}/cp-1.lock`);
  });

  it('refuse a lock folder planted as a symlink: one line, nothing after it runs', () => {
    const backupDir = join(root, 'planted');
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    mkdirSync(backupDir);
    symlinkSync(join(root, 'elsewhere'), hostLockDir(backupDir, 'r1'));
    const r = sh(`set -e\n${serial(ctx(backupDir, 'cp-1')).text}\necho ran`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `${hostLockDir(backupDir, 'r1')} is not a folder of this user: move it aside, then resume`,
    );
    expect(readdirSync(join(root, 'elsewhere'))).toEqual([]);
  });

  it('are removed at run end: the lock files by name, then the folder; another file keeps the folder', async () => {
    const local: Executor = {
      exec: async (_member, command) => {
        const r = sh(command);
        return { exitCode: r.status ?? 1, stdout: r.stdout, stderr: r.stderr } as never;
      },
      upload: () => Promise.reject(new Error('unused')),
      download: () => Promise.reject(new Error('unused')),
      close: async () => {},
    };
    const [a, b] = [join(root, 'end-a'), join(root, 'end-b')];
    for (const [dir, name] of [
      [a, 'cp-1'],
      [a, 'cp-2'],
      [b, 'cp-2'],
    ] as const)
      expect(sh(`${serial(ctx(dir, name)).text}\necho ok`).stdout.trim()).toBe('ok');
    const stranger = join(hostLockDir(b, 'r1'), 'not-ours');
    mkdirSync(stranger);
    const inv = {
      members: [
        { name: 'cp-1', backupDir: a },
        { name: 'cp-2', backupDir: b },
      ],
    } as unknown as Inventory;
    await removeHostLocks(inv, local, 'r1');
    expect(existsSync(hostLockDir(a, 'r1'))).toBe(false);
    expect(readdirSync(hostLockDir(b, 'r1'))).toEqual(['not-ours']);
  });
});
