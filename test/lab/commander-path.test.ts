// The commander's path on the lab, from an operator's own working directory: `run backup` says what it made, the
// backup lists (size, verified), verifies and restores by id; a restore given relative paths stops at its approval
// and is still reported, audited, shown and aborted; the one given an id is resumed and gives the data back.
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import { cli, clusterValues, damage, expectCode, expectSameData, oneLab } from './runbook-helpers.js';

let lab: Lab;
const dir = oneLab('commander', { members: 3, mode: 'static-pod' }, (made) => (lab = made));
/** The operator's working directory: every relative path below is relative to it. */
const here = () => join(dir, 'desk');
const lifeboat = (args: string[]) => cli(args, 240_000, {}, here());

describe('commander path: backup, then restore by id and by relative paths', () => {
  let id = '';
  let before: Map<string, Buffer>;

  it('run backup ends with the backup id and where it is; backup list shows its size, verified; verify ID', async () => {
    mkdirSync(here(), { recursive: true });
    before = await clusterValues(lab);
    const r = await lifeboat(['run', 'backup', '-i', lab.inventoryPath, '--yes']);
    expectCode(r, 0);
    const made = /^backup (\S+) is in (\S+)$/m.exec(r.stderr);
    expect(made, r.stderr.slice(-2000)).not.toBeNull();
    id = made![1]!;
    expect(made![2]).toBe(join(here(), '.lifeboat/backups', id));
    expect(r.stderr).toContain(`--set snapshot=${id}`);
    const list = await lifeboat(['backup', 'list', '-i', lab.inventoryPath]);
    expectCode(list, 0);
    const line = list.stdout.split('\n').find((l) => l.startsWith(`${id} `));
    expect(line, list.stdout).toBeDefined();
    expect(Number(/ (\d+) bytes /.exec(line!)?.[1])).toBeGreaterThan(1_000_000);
    expect(line).toMatch(/ plain +verified$/);
    const verify = await lifeboat(['backup', 'verify', id, '-i', lab.inventoryPath]);
    expectCode(verify, 0);
    expect(verify.stdout).toContain(`backup ${id}: 6 files verified`);
  });

  it('plan takes the backup by id and by folder', async () => {
    for (const snapshot of [id, `.lifeboat/backups/${id}`]) {
      const r = await lifeboat([
        'plan',
        'restore-multi-master',
        '-i',
        lab.inventoryPath,
        '--set',
        `snapshot=${snapshot}`,
      ]);
      expectCode(r, 0);
      expect(r.stdout).toContain(join(here(), '.lifeboat/backups', id));
    }
  });

  it('a restore of a relative snapshot path stopped at its approval: status, report, audit verify, resume --abort', async () => {
    const snapshot = relative(here(), join(here(), '.lifeboat/backups', id, 'etcd-cp-1.db'));
    const run = ['run', 'restore-multi-master', '-i', relative(here(), lab.inventoryPath)];
    const r = await lifeboat([...run, '--set', `snapshot=${snapshot}`, '--run-dir', 'run-relative']);
    expectCode(r, 4);
    for (const cmd of [['status'], ['report'], ['audit', 'verify']])
      expectCode(await lifeboat([...cmd, 'run-relative']), 0);
    const abort = await lifeboat(['resume', 'run-relative', '--abort']);
    expectCode(abort, 5);
  });

  it('restores by id after a stop and a resume: every key and value as before the backup', async () => {
    await damage(lab, 'commander', { overwrite: true });
    const runDir = 'run-by-id';
    const r = await lifeboat([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${id}`,
      '--run-dir',
      runDir,
    ]);
    expectCode(r, 4);
    expectCode(await lifeboat(['resume', runDir, '--yes']), 0);
    expectSameData(await clusterValues(lab), before);
    for (const cmd of [['status'], ['report'], ['audit', 'verify']])
      expectCode(await lifeboat([...cmd, runDir]), 0);
  });
});
