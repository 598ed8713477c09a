// `backup prune --yes` records what it deleted through the private writer: 0600 in a 0700 folder, appended whole,
// never through a symlink planted at the audit log (that one is moved aside, its target untouched).
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putFile, putManifest, listBackups } from '../../src/backup/backups.js';
import { LocalStore } from '../../src/backup/store.js';
import { runStore } from '../../src/cli/backup/store.js';
import { appendPrivateLine } from '../../src/local/private.js';

let cwd: string;
let dir: string;
let umask: number;
beforeEach(() => {
  cwd = process.cwd();
  umask = process.umask(0o022);
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-prune-audit-'));
  process.chdir(dir);
});
afterEach(() => {
  process.chdir(cwd);
  process.umask(umask);
});

const mode = (p: string) => statSync(p).mode & 0o777;

async function threeBackups(target: string): Promise<string[]> {
  const store = new LocalStore(target);
  const f = join(dir, 's.db');
  writeFileSync(f, 'snapshot');
  const sha = createHash('sha256').update('snapshot').digest('hex');
  for (let i = 1; i <= 3; i++) {
    const stored = await putFile(store, `b-${i}`, 's.db', f, sha);
    await putManifest(store, {
      format: 'lifeboat-backup/1',
      id: `b-${i}`,
      cluster: 'c',
      takenAt: `2026-01-0${i}T00:00:00.000Z`,
      encrypted: false,
      verified: true,
      members: [],
      files: [stored],
    });
  }
  return (await listBackups(store)).map((m) => m.id);
}

describe('backup prune audit record', () => {
  it('is written 0600 beside a planted symlink, never through it; the symlink is kept, moved aside', async () => {
    const target = join(dir, 'store');
    expect(await threeBackups(target)).toEqual(['b-1', 'b-2', 'b-3']);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'not an audit log');
    mkdirSync('.lifeboat', { mode: 0o755 });
    symlinkSync(victim, '.lifeboat/backup-audit.jsonl');
    expect(await runStore(['prune', target, '--keep', '1', '--yes'])).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('not an audit log');
    const log = join(dir, '.lifeboat/backup-audit.jsonl');
    expect(lstatSync(log).isFile()).toBe(true);
    expect(mode(log)).toBe(0o600);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'backup.prune', removed: ['b-2', 'b-1'] });
    const aside = readdirSync('.lifeboat').filter((n) => n.startsWith('backup-audit.jsonl.symlink-'));
    expect(aside).toHaveLength(1);
    expect(lstatSync(join('.lifeboat', aside[0]!)).isSymbolicLink()).toBe(true);
    expect((await listBackups(new LocalStore(target))).map((m) => m.id)).toEqual(['b-3']);
  });

  it('appends whole lines to an existing log and creates a missing folder 0700', () => {
    const log = join(dir, 'a/b/audit.jsonl');
    appendPrivateLine(log, '{"n":1}');
    appendPrivateLine(log, '{"n":2}\n');
    expect(readFileSync(log, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    expect(mode(join(dir, 'a'))).toBe(0o700);
    expect(mode(log)).toBe(0o600);
  });
});
