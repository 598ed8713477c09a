// The one way cluster data lands on the operator's disk: files 0600, folders 0700 whatever the umask,
// atomic, no symlinks.
import {
  closeSync,
  constants,
  fchmodSync as fchmod,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { badInput } from '../errors/error.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_APPEND, O_RDONLY, O_DIRECTORY } = constants;
/** Flags for a fresh private file: never an existing file, never through a symlink. */
export const NEW_PRIVATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

const lstatOrNull = (p: string) => {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
};

/** mkdir -p where every folder it creates is 0700 (chmod after mkdir, so the umask cannot widen or narrow it). */
export function privateDir(dir: string): string {
  const abs = resolve(dir);
  const st = lstatOrNull(abs);
  if (st) {
    if (!st.isDirectory() && !st.isSymbolicLink())
      throw badInput(`${abs} exists and is not a folder`, 'choose another path');
    return abs;
  }
  const missing: string[] = [];
  for (let d = abs; !lstatOrNull(d); d = dirname(d)) missing.unshift(d);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  for (const d of missing) {
    const fd = openSync(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      // fchmod on what we opened: a folder swapped for a symlink meanwhile is refused by O_NOFOLLOW.
      fchmod(fd, 0o700);
    } finally {
      closeSync(fd);
    }
  }
  return abs;
}

const tempName = (path: string) => `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

function fsyncDir(dir: string): void {
  const dfd = openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/**
 * Writes a private file atomically: a fresh 0600 temp (O_EXCL|O_NOFOLLOW), fsync, rename over the
 * target, fsync dir.
 */
export function writePrivate(path: string, data: string | Buffer): void {
  const abs = resolve(path);
  privateDir(dirname(abs));
  const tmp = tempName(abs);
  const fd = openSync(tmp, NEW_PRIVATE, 0o600);
  try {
    fchmod(fd, 0o600);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  // rename replaces a symlink planted at the target; it never writes through it.
  renameSync(tmp, abs);
  fsyncDir(dirname(abs));
}

/** Opens an append-only private log (created 0600, never through a symlink). */
export function openPrivateAppend(path: string): number {
  const fd = openSync(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600);
  fchmod(fd, 0o600);
  return fd;
}

/**
 * Appends one line to a private log: created 0600 in a 0700 folder, one O_APPEND write (whole lines even with other
 * writers), fsynced; never through a symlink: one planted there is moved aside (kept, timestamped) and the log
 * starts afresh.
 */
export function appendPrivateLine(path: string, line: string): void {
  const abs = resolve(path);
  privateDir(dirname(abs));
  if (lstatOrNull(abs)?.isSymbolicLink()) renameSync(abs, `${abs}.symlink-${Date.now()}`);
  const fd = openPrivateAppend(abs);
  try {
    writeSync(fd, Buffer.from(line.endsWith('\n') ? line : `${line}\n`));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A file being received: written to PATH.part (fresh, 0600), moved into place only by commit(). */
export interface PrivatePart {
  readonly path: string;
  readonly fh: FileHandle;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Starts receiving into PATH.part; a part left by a killed earlier attempt is removed first (it was
 * never complete).
 */
export async function openPrivatePart(path: string): Promise<PrivatePart> {
  const abs = resolve(path);
  privateDir(dirname(abs));
  const part = `${abs}.part`;
  // unlink never follows a symlink; the O_EXCL open below then refuses anything planted in between.
  if (lstatOrNull(part)) unlinkSync(part);
  const fh = await open(part, NEW_PRIVATE, 0o600);
  await fh.chmod(0o600);
  let closed = false;
  const close = async () => {
    if (!closed) await fh.close();
    closed = true;
  };
  return {
    path: part,
    fh,
    async commit() {
      await fh.sync();
      await close();
      renameSync(part, abs);
      fsyncDir(dirname(abs));
    },
    async abort() {
      await close().catch(() => undefined);
      try {
        unlinkSync(part);
      } catch {
        // Already gone.
      }
    },
  };
}

/** Path component from a name (cluster, member): no separators, no dot-dot, no control characters. */
export function safeComponent(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return (s || '_').slice(0, 100);
}
