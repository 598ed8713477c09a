// Hardening on the lab (issue 10): a backup run under umask 022 leaves only 0600 files in 0700 folders, also after a
// download killed with -9 and resumed (a stale world-readable .part planted meanwhile is replaced, not reused).
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../../src/lab/index.js';
import { cli, expectCode, runAndKill } from './runbook-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-harden-'));
let lab: Lab;
let oldUmask: number;
beforeAll(async () => {
  oldUmask = process.umask(0o022); // inherited by every CLI run below
  lab = await labUp({ dir: join(dir, 'lab'), members: 3, mode: 'static-pod', seedData: true });
});
afterAll(async () => {
  process.umask(oldUmask);
  await labDown(join(dir, 'lab'));
  rmSync(dir, { recursive: true, force: true });
});

/** Every file and folder under root with a mode other than 0600 / 0700. */
function notPrivate(root: string): string[] {
  const bad: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const m = statSync(p).mode & 0o777;
      if (e.isDirectory()) {
        if (m !== 0o700) bad.push(`${p} ${m.toString(8)}`);
        walk(p);
      } else if (m !== 0o600) bad.push(`${p} ${m.toString(8)}`);
    }
  };
  if ((statSync(root).mode & 0o777) !== 0o700)
    bad.push(`${root} ${(statSync(root).mode & 0o777).toString(8)}`);
  walk(root);
  return bad;
}

describe('private backups under umask 022', () => {
  it('run backup: every file 0600, every folder 0700 (backup folder and run dir)', async () => {
    const to = join(dir, 'out-1');
    const runDir = join(dir, 'run-1');
    expectCode(
      await cli([
        'run',
        'backup',
        '-i',
        lab.inventoryPath,
        '--set',
        `to=${to}`,
        '--yes',
        '--run-dir',
        runDir,
      ]),
      0,
    );
    expect(readdirSync(to)).toHaveLength(1);
    expect(notPrivate(to)).toEqual([]);
    expect(notPrivate(runDir)).toEqual([]);
  });

  it('kill -9 during the download, a stale 0644 .part planted, resume: still only 0600/0700', async () => {
    const to = join(dir, 'out-kill');
    const runDir = join(dir, 'run-kill');
    await runAndKill(
      ['run', 'backup', '-i', lab.inventoryPath, '--set', `to=${to}`, '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && e.stateId === 'copy-off/download' && e.member === 'cp-2',
    );
    const [sub] = readdirSync(to);
    writeFileSync(join(to, sub!, 'etcd-cp-3.db.part'), 'half a download', { mode: 0o644 });
    expectCode(await cli(['resume', runDir, '--yes']), 0);
    expect(readdirSync(join(to, sub!)).filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(notPrivate(to)).toEqual([]);
    expect(notPrivate(runDir)).toEqual([]);
  });
});
