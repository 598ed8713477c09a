// Reads a file by page on demand (pread through a small chunk cache), so a 1 GiB snapshot is never held in memory.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { requireRegularFile } from '../local/input.js';

export class SnapshotError extends Error {}

const CHUNK = 1 << 20; // 1 MiB read-ahead: leaf pages of one bucket are mostly adjacent
const MAX_CHUNKS = 32;

export class PageFile {
  readonly fd: number;
  readonly size: number;
  private chunks = new Map<number, Buffer>();
  private spare: Buffer | undefined;

  constructor(readonly path: string) {
    requireRegularFile(path, 'snapshot');
    this.fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  /** `len` bytes at `off`; the view may share memory with the cache, so use it before the next read. */
  read(off: number, len: number): Buffer {
    if (off < 0 || len < 0 || off + len > this.size)
      throw new SnapshotError(
        `read of ${len} bytes at offset ${off} runs past the end of the file (${this.size} bytes): truncated`,
      );
    const first = Math.floor(off / CHUNK);
    if (Math.floor((off + len - 1) / CHUNK) === first && len > 0) {
      const c = this.chunk(first);
      return c.subarray(off - first * CHUNK, off - first * CHUNK + len);
    }
    const b = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, b, done, len - done, off + done);
      if (n === 0) throw new SnapshotError(`unexpected end of file at offset ${off + done}`);
      done += n;
    }
    return b;
  }

  /** Reads straight into the start of `into` (no cache, no allocation): for scattered small reads. */
  readInto(off: number, len: number, into: Buffer): void {
    if (off < 0 || len < 0 || off + len > this.size)
      throw new SnapshotError(
        `read of ${len} bytes at offset ${off} runs past the end of the file (${this.size} bytes): truncated`,
      );
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, into, done, len - done, off + done);
      if (n === 0) throw new SnapshotError(`unexpected end of file at offset ${off + done}`);
      done += n;
    }
  }

  private chunk(i: number): Buffer {
    const hit = this.chunks.get(i);
    if (hit) {
      this.chunks.delete(i); // re-insert: Map order is the LRU order
      this.chunks.set(i, hit);
      return hit;
    }
    const len = Math.min(CHUNK, this.size - i * CHUNK);
    // Reuse the evicted chunk's memory: fresh 1 MiB buffers cost a page fault per 4 KiB.
    const b =
      this.spare && this.spare.length >= len
        ? this.spare.subarray(0, len)
        : Buffer.allocUnsafe(CHUNK).subarray(0, len);
    this.spare = undefined;
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, b, done, len - done, i * CHUNK + done);
      if (n === 0) throw new SnapshotError(`unexpected end of file at offset ${i * CHUNK + done}`);
      done += n;
    }
    this.chunks.set(i, b);
    if (this.chunks.size > MAX_CHUNKS) {
      const oldest = this.chunks.keys().next().value!;
      const old = this.chunks.get(oldest)!;
      this.chunks.delete(oldest);
      this.spare = Buffer.from(old.buffer, old.byteOffset, CHUNK);
    }
    return b;
  }

  close(): void {
    this.chunks.clear();
    closeSync(this.fd);
  }
}
