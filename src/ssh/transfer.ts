// Streaming file transfer with sha256 checked on both ends; nothing is held in memory whole.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import type { TransferResult } from '../shell/executor.js';
import { LifeboatError } from '../errors/error.js';
import { earlyExit, openExec, openSftp, type HostConnection, type Session } from './connection.js';
import { runCommand } from './exec.js';
import { wrapCommand } from './quote.js';
import { sh } from '../shell/sh.js';
import { openPrivatePart } from '../local/private.js';

/** Bytes per SFTP write request and how many are in flight: enough to fill a WAN pipe, bounded memory (4 MiB). */
const CHUNK = 128 * 1024;
const IN_FLIGHT = 32;
const HEX64 = /^[0-9a-f]{64}$/;

/** A transfer that failed because the connection dropped is 'unreachable' (resumable), otherwise a failed step. */
function transferError(s: Session, host: string, e: unknown, what: string): LifeboatError {
  if (e instanceof LifeboatError) return e;
  if (s.lost)
    return new LifeboatError('unreachable', `connection to ${host} lost during ${what}`, {
      host,
      command: what,
      cause: e,
    });
  return stepError(host, `${what} on ${host} failed: ${(e as Error).message}`, what);
}

function stepError(host: string, message: string, command: string, hint?: string): LifeboatError {
  return new LifeboatError('step', message, { host, command, ...(hint === undefined ? {} : { hint }) });
}

async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

function hashingTap(h: ReturnType<typeof createHash>, count: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      count.bytes += chunk.length;
      cb(null, chunk);
    },
  });
}

const p =
  <T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void) =>
  () =>
    new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

/** Pipelined SFTP upload: reads the file once, hashing as it goes, with up to IN_FLIGHT writes outstanding. */
async function sftpPut(
  sftp: SFTPWrapper,
  local: string,
  remote: string,
  mode: number,
): Promise<{ sha256: string; bytes: number }> {
  const handle = await p<Buffer>((cb) => sftp.open(remote, 'w', { mode }, cb))();
  const h = createHash('sha256');
  let pos = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const rs = createReadStream(local, { highWaterMark: CHUNK });
      let inflight = 0;
      let ended = false;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        rs.destroy();
        reject(e);
      };
      rs.on('data', (chunk) => {
        const buf = chunk as Buffer;
        h.update(buf);
        const at = pos;
        pos += buf.length;
        inflight++;
        if (inflight >= IN_FLIGHT) rs.pause();
        sftp.write(handle, buf, 0, buf.length, at, (err) => {
          inflight--;
          if (err) return fail(err);
          if (rs.isPaused() && inflight < IN_FLIGHT) rs.resume();
          if (ended && inflight === 0 && !failed) resolve();
        });
      });
      rs.on('end', () => {
        ended = true;
        if (inflight === 0 && !failed) resolve();
      });
      rs.on('error', fail);
    });
  } finally {
    await p<void>((cb) => sftp.close(handle, (e) => cb(e, undefined)))().catch(() => undefined);
  }
  return { sha256: h.digest('hex'), bytes: pos };
}

/** Streams a local file into `cat > part` on the host (the sudo path: no staging copy, no temp space needed). */
async function catPut(
  s: Session,
  host: string,
  local: string,
  part: string,
  sudo: boolean,
): Promise<{ sha256: string; bytes: number }> {
  const cmd = sh`umask 077 && cat > ${part}`.text;
  const ch = await openExec(s, host, wrapCommand(cmd, sudo), cmd);
  const h = createHash('sha256');
  const count = { bytes: 0 };
  const stderr: Buffer[] = [];
  ch.stderr.on('data', (d: Buffer) => stderr.push(d));
  ch.resume();
  const exit = new Promise<number | null>((resolve) => {
    let code: number | null = earlyExit.get(ch)?.code ?? null;
    ch.on('exit', (c: number | null) => (code = c));
    ch.on('close', () => resolve(code));
  });
  await pipeline(createReadStream(local, { highWaterMark: 1 << 20 }), hashingTap(h, count), ch);
  const code = await exit;
  if (code !== 0)
    throw stepError(
      host,
      `writing ${part} on ${host} failed (exit ${code}): ${Buffer.concat(stderr).toString().trim()}`,
      cmd,
    );
  return { sha256: h.digest('hex'), bytes: count.bytes };
}

export async function upload(
  conn: HostConnection,
  local: string,
  remote: string,
  mode: number,
): Promise<TransferResult> {
  const host = conn.name;
  const sudo = conn.target.sudo;
  const part = `${remote}.part`;
  const sent = await conn.withSlot(async (s) => {
    try {
      if (sudo) return await catPut(s, host, local, part, true);
      const sftp = await openSftp(s, host);
      try {
        return await sftpPut(sftp, local, part, mode);
      } finally {
        sftp.end();
      }
    } catch (e) {
      throw transferError(s, host, e, `upload to ${part}`);
    }
  });
  // One round trip: set the mode, hash on the host, and move into place only when the hash matches.
  const m = mode.toString(8).padStart(4, '0');
  const finalize = sh.join(
    [
      sh`p=${part}; chmod ${m} "$p" && h=$(sha256sum < "$p") && h=\${h%% *} && printf '%s\\n' "$h"`,
      sh`${sh`if [ "$h" = ${sent.sha256} ]; then mv -f -- "$p" ${remote}; else rm -f -- "$p"; exit 3; fi`}`,
    ],
    ' && ',
  ).text;
  const r = await conn.withSlot((s) => runCommand(s, finalize, {}, { host, sudo }));
  const remoteSha = r.stdout.trim();
  if (r.exitCode === 3) {
    throw stepError(
      host,
      `sha256 mismatch after upload to ${remote} on ${host}: local ${sent.sha256}, remote ${remoteSha}`,
      finalize,
      'the copy was corrupted in transit or changed meanwhile; retry',
    );
  }
  if (r.exitCode !== 0 || !HEX64.test(remoteSha)) {
    throw stepError(
      host,
      `verifying ${part} on ${host} failed (exit ${r.exitCode}): ${r.stderr.trim()}`,
      finalize,
    );
  }
  return { bytes: sent.bytes, sha256: sent.sha256 };
}

/** Streams `cat remote` (through sudo) into a local file, hashing as it arrives. */
async function catGet(
  s: Session,
  host: string,
  remote: string,
  localPart: string,
  sudo: boolean,
): Promise<void> {
  const cmd = sh`cat -- ${remote}`.text;
  const ch = await openExec(s, host, wrapCommand(cmd, sudo), cmd);
  const stderr: Buffer[] = [];
  ch.stderr.on('data', (d: Buffer) => stderr.push(d));
  // exit-status and EOF may arrive in either order: the status is final only at 'close'.
  const exit = new Promise<number | null>((resolve) => {
    let c: number | null = earlyExit.get(ch)?.code ?? null;
    ch.on('exit', (v: number | null) => (c = v));
    ch.on('close', () => resolve(c));
  });
  ch.end();
  // The part file exists already (0600, made O_EXCL): r+ writes into it and keeps its mode; its own fd
  // closes at the end.
  await pipeline(ch, createWriteStream(localPart, { flags: 'r+', start: 0 }));
  const code = await exit;
  if (code !== 0)
    throw stepError(
      host,
      `reading ${remote} on ${host} failed (exit ${code}): ${Buffer.concat(stderr).toString().trim()}`,
      cmd,
    );
}

/**
 * Pipelined SFTP download into an open private file: IN_FLIGHT workers, each reading one chunk and
 * writing it at its offset.
 */
async function sftpGet(sftp: SFTPWrapper, remote: string, out: FileHandle): Promise<void> {
  const handle = await p<Buffer>((cb) => sftp.open(remote, 'r', cb))();
  try {
    const size = (await p<{ size: number }>((cb) => sftp.fstat(handle, cb))()).size;
    const GET = 32 * 1024;
    let next = 0;
    const worker = async () => {
      const buf = Buffer.allocUnsafe(GET);
      while (next < size) {
        const at = next;
        const len = Math.min(GET, size - at);
        next += len;
        // A server may answer with fewer bytes than asked: read the rest of the chunk before writing it.
        for (let got = 0; got < len;) {
          const n = await p<number>((cb) => sftp.read(handle, buf, got, len - got, at + got, cb))();
          if (n === 0) throw new Error(`${remote} ended at ${at + got} of ${size} bytes`);
          got += n;
        }
        await out.write(buf, 0, len, at);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  } finally {
    await p<void>((cb) => sftp.close(handle, (e) => cb(e, undefined)))().catch(() => undefined);
  }
}

export async function download(conn: HostConnection, remote: string, local: string): Promise<TransferResult> {
  const host = conn.name;
  const sudo = conn.target.sudo;
  // Every path (SFTP, sudo cat, a resumed attempt) writes the same fresh 0600 part file, never through a symlink.
  const part = await openPrivatePart(local);
  const hashCmd = sh`h=$(sha256sum < ${remote}) && printf '%s\\n' "\${h%% *}"`.text;
  try {
    // The remote hash and the copy run side by side on two channels: both only read the file.
    const [r] = await Promise.all([
      conn.withSlot((s) => runCommand(s, hashCmd, {}, { host, sudo })),
      conn.withSlot(async (s) => {
        try {
          if (sudo) return await catGet(s, host, remote, part.path, true);
          const sftp = await openSftp(s, host);
          try {
            await sftpGet(sftp, remote, part.fh);
          } finally {
            sftp.end();
          }
        } catch (e) {
          throw transferError(s, host, e, `download of ${remote}`);
        }
      }),
    ]);
    const remoteSha = r.stdout.trim();
    if (r.exitCode !== 0 || !HEX64.test(remoteSha)) {
      throw stepError(
        host,
        `hashing ${remote} on ${host} failed (exit ${r.exitCode}): ${r.stderr.trim()}`,
        hashCmd,
      );
    }
    await part.fh.sync();
    // Hash what actually landed on the local disk, not what passed through memory.
    const got = await sha256File(part.path);
    if (got.sha256 !== remoteSha) {
      throw stepError(
        host,
        `sha256 mismatch after download of ${remote} from ${host}: remote ${remoteSha}, local ${got.sha256}`,
        hashCmd,
        'the file changed on the host during the copy, or was corrupted; retry',
      );
    }
    await part.commit();
    return { bytes: got.bytes, sha256: got.sha256 };
  } catch (e) {
    await part.abort();
    throw e;
  }
}
