// Reading an input file the operator names: only regular files, opened without blocking, so a FIFO, a device or a
// folder is one clear line (exit 2) instead of a hang or a stack trace.
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { badInput } from '../errors/error.js';

const { O_RDONLY, O_NONBLOCK } = constants;

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throws (exit 2) unless path is an existing regular file; `what` names it in the message ("inventory", ...). */
export function requireRegularFile(path: string, what: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw badInput(
      `${what} ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`,
      'give a readable file',
    );
  }
  if (!st.isFile()) throw badInput(`${what} ${path} is ${kind(st)}, not a file`, 'give a regular file');
}

/** Reads a regular file whole; the open never blocks and the opened file itself is checked (no swap in between). */
export function readRegularFile(path: string, what: string): Buffer {
  requireRegularFile(path, what);
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NONBLOCK);
  } catch (err) {
    throw badInput(
      `${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'check its permissions',
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw badInput(`${what} ${path} is ${kind(st)}, not a file`, 'give a regular file');
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

export const readRegularText = (path: string, what: string) => readRegularFile(path, what).toString('utf8');
