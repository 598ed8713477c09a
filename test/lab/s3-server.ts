// A real S3-protocol server for tests: s3rver (npm) in its own process on 127.0.0.1, over a temp folder, stopped by pid.
// It checks key ids, not signatures; pending multipart uploads are listed and aborted by s3rver-child.mjs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../src/lab/wait.js';

export interface S3Server {
  endpoint: string;
  dir: string;
  /** The server's only account (s3rver's built-in one). */
  accessKeyId: string;
  secretAccessKey: string;
  stop: () => Promise<void>;
}

const freePort = () =>
  new Promise<number>((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });

const accepts = (port: number) =>
  new Promise<boolean>((res) => {
    const c = connect(port, '127.0.0.1', () => (c.destroy(), res(true)));
    c.on('error', () => res(false));
  });

export async function startS3(buckets: string[]): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-s3-'));
  const port = await freePort();
  // s3rver with ListMultipartUploads and AbortMultipartUpload added (it has neither).
  const args = [join(import.meta.dirname, 's3rver-child.mjs'), dir, String(port), ...buckets];
  const child: ChildProcess = spawn('node', args, { stdio: 'ignore' });
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  await waitFor(() => accepts(port), { timeoutMs: 20_000, intervalMs: 50, what: 's3rver listening' });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dir,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
