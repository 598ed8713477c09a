// Local cluster data is private: 0600 files, 0700 folders whatever the umask, atomic, never written through a symlink.
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPrivatePart, privateDir, safeComponent, writePrivate } from '../../src/local/private.js';

let old: number;
let dir: string;
beforeEach(() => {
  old = process.umask(0o022);
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-priv-'));
});
afterEach(() => void process.umask(old));

const mode = (p: string) => statSync(p).mode & 0o777;

describe('private local files', () => {
  it('creates every missing folder 0700 and files 0600 under umask 022', () => {
    writePrivate(join(dir, 'a/b/c/f.json'), '{}');
    for (const d of ['a', 'a/b', 'a/b/c']) expect(mode(join(dir, d)), d).toBe(0o700);
    expect(mode(join(dir, 'a/b/c/f.json'))).toBe(0o600);
  });

  it('replaces a planted symlink instead of writing through it', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(dir, 'report.md'));
    writePrivate(join(dir, 'report.md'), 'new');
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    expect(lstatSync(join(dir, 'report.md')).isSymbolicLink()).toBe(false);
    expect(mode(join(dir, 'report.md'))).toBe(0o600);
  });

  it('a part file left 0644 by a killed download (or a symlink there) is replaced by a fresh 0600 one', async () => {
    privateDir(join(dir, 'out'));
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(dir, 'out/etcd.db.part'));
    const p = await openPrivatePart(join(dir, 'out/etcd.db'));
    await p.fh.write(Buffer.from('data'));
    await p.commit();
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    expect(readFileSync(join(dir, 'out/etcd.db'), 'utf8')).toBe('data');
    expect(mode(join(dir, 'out/etcd.db'))).toBe(0o600);
    writeFileSync(join(dir, 'out/x.part'), 'half', { mode: 0o644 });
    const q = await openPrivatePart(join(dir, 'out/x'));
    expect(mode(q.path)).toBe(0o600);
    await q.abort();
    expect(() => readlinkSync(q.path)).toThrow();
  });

  it('names become one safe path component', () => {
    expect(safeComponent('../../etc/passwd')).toMatch(/^[^./][^/]*$/);
    expect(safeComponent('prod\nx')).toBe('prod_x');
    expect(safeComponent('prod-eu.1')).toBe('prod-eu.1');
  });
});
