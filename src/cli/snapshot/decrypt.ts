// age-encrypted snapshot files (from an encrypted backup) opened transparently: `--identity FILE` decrypts each one
// into a private temp folder (0700, files 0600) for the command, removed afterwards.
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
} from 'node:fs';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { usage } from '../../errors/error.js';

function isAgeFile(p: string): boolean {
  if (!existsSync(p) || !statSync(p).isFile()) return false;
  const fd = openSync(p, 'r');
  try {
    const b = Buffer.alloc(22);
    readSync(fd, b, 0, 22, 0);
    return b.toString('latin1') === 'age-encryption.org/v1\n';
  } finally {
    closeSync(fd);
  }
}

/** The argv with `--identity FILE` removed and age files replaced by decrypted copies; `done` removes the copies. */
export async function decryptArgs(
  cmd: string,
  argv: string[],
): Promise<{ argv: string[]; done: () => void }> {
  const i = argv.indexOf('--identity');
  const identity = i >= 0 ? argv[i + 1] : undefined;
  const args = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
  const ages = args.filter((a) => !a.startsWith('-') && isAgeFile(a));
  if (!ages.length) return { argv: args, done: () => undefined };
  if (!identity)
    throw usage(`snapshot ${cmd}: ${ages[0]} is age-encrypted`, 'give the identity with --identity FILE');
  const age = await import('../../backup/age.js');
  const ids = age.loadIdentities(identity);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-snap-'));
  const out: string[] = [];
  try {
    for (const a of args) {
      if (!ages.includes(a)) {
        out.push(a);
        continue;
      }
      const to = join(dir, basename(a).replace(/\.age$/, ''));
      await pipeline(
        await age.decryptStream(createReadStream(a), ids, a),
        createWriteStream(to, { mode: 0o600 }),
      );
      out.push(to);
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { argv: out, done: () => rmSync(dir, { recursive: true, force: true }) };
}
