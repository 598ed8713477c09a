// Offsite backups without a server: age round trips to X25519 and SSH keys, bad recipients refused, retention per
// cluster, local store writes 0600 files in 0700 folders, bad s3 URLs refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import {
  AGE_MAGIC,
  decryptStream,
  encryptStream,
  loadIdentities,
  parseRecipient,
} from '../../src/backup/age.js';
import { toPrune, type BackupManifest } from '../../src/backup/backups.js';
import { openStore } from '../../src/backup/store.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-offsite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const drain = async (s: Readable) => {
  const c: Buffer[] = [];
  for await (const x of s) c.push(x as Buffer);
  return Buffer.concat(c);
};

describe('age', () => {
  it('encrypts to an age key, an ssh-ed25519 and an ssh-rsa key; each identity opens it, another does not', async () => {
    const id = await generateIdentity();
    writeFileSync(join(dir, 'id.txt'), `# test\n${id}\n`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ed')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'rsa')]);
    const rcp = [
      await identityToRecipient(id),
      ...['ed', 'rsa'].map((k) => readFileSync(join(dir, `${k}.pub`), 'utf8')),
    ];
    const data = Buffer.alloc(200_000, 9);
    const ct = await drain(await encryptStream(Readable.from([data]), rcp));
    expect(ct.subarray(0, AGE_MAGIC.length).toString()).toBe(AGE_MAGIC);
    expect(ct.includes(data.subarray(0, 64))).toBe(false);
    for (const f of ['id.txt', 'ed', 'rsa'])
      expect(
        (await drain(await decryptStream(Readable.from([ct]), loadIdentities(join(dir, f)), 'x'))).equals(
          data,
        ),
      ).toBe(true);
    const other = await generateIdentity();
    await expect(decryptStream(Readable.from([ct]), [other], 'b.db.age')).rejects.toThrow(
      /b\.db\.age: cannot decrypt/,
    );
  });

  it('refuses what is not a recipient, in one line', () => {
    expect(() => parseRecipient('ssh-dss AAAA')).toThrow(/neither an age X25519 key/);
    expect(() => parseRecipient('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5')).toThrow(/not a valid SSH public key/);
  });
});

describe('retention', () => {
  const m = (cluster: string, day: number) =>
    ({
      id: `${cluster}-${day}`,
      cluster,
      takenAt: `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`,
    }) as BackupManifest;
  const all = [m('a', 1), m('a', 2), m('a', 3), m('a', 4), m('b', 1)];
  const now = new Date('2026-01-05T00:00:00Z');
  it('keeps the N newest per cluster, or those younger than D days, or either', () => {
    expect(toPrune(all, { last: 2 }, now).map((x) => x.id)).toEqual(['a-2', 'a-1']);
    expect(toPrune(all, { days: 3 }, now).map((x) => x.id)).toEqual(['a-2', 'a-1', 'b-1']);
    expect(toPrune(all, { last: 1, days: 3 }, now).map((x) => x.id)).toEqual(['a-2', 'a-1']);
  });
});

describe('stores', () => {
  it('a local store writes 0600 files in 0700 folders; bad s3 URLs are refused', async () => {
    const s = openStore(join(dir, 'bk'));
    await s.put('c-1/x.db', Readable.from([Buffer.from('hi')]), {});
    expect(statSync(join(dir, 'bk/c-1/x.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'bk/c-1')).mode & 0o777).toBe(0o700);
    expect(await s.list()).toEqual([{ key: 'c-1/x.db', bytes: 2 }]);
    await expect(s.put('../out', Readable.from(['x']), {})).rejects.toThrow(/leaves/);
    expect(() => openStore('s3://Bad_Bucket/x')).toThrow(/is not s3:\/\/BUCKET/);
  });
});
