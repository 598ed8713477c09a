// A throwaway single-member etcd on 127.0.0.1 (random ports, temp data dir), for backup verify --restore, tests and
// the bench: the binaries named, else this machine's (src/snapshot/etcd-binaries.ts). Stopped by pid.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { badInput } from '../errors/error.js';
import { localEtcdTools } from './etcd-binaries.js';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface LocalEtcd {
  dir: string;
  endpoint: string;
  pid: number;
  put(key: string | Uint8Array, value: string | Uint8Array): Promise<void>;
  /** Many puts in one transaction (etcd allows 128 operations per txn by default). */
  putMany(kvs: [string | Uint8Array, string | Uint8Array][]): Promise<void>;
  del(key: string): Promise<void>;
  compact(rev: number): Promise<void>;
  etcdctl(...args: string[]): Promise<string>;
  /** etcdutl of the same release (offline: snapshot status, restore). */
  etcdutl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const b64 = (v: string | Uint8Array) => Buffer.from(v).toString('base64');

export async function startLocalEtcd(
  opts: {
    etcd?: string;
    etcdctl?: string;
    etcdutl?: string;
    /** Which release to look for when no paths are given (e.g. "3.6"); the newest on this machine by default. */
    version?: string;
    quotaBytes?: number;
    timeoutMs?: number;
    /** Makes the data dir inside `dir` before etcd starts (a restore); returns its path. */
    prepare?: (dir: string, member: { name: string; peerURL: string }) => Promise<string>;
  } = {},
): Promise<LocalEtcd> {
  const found = opts.etcd ? undefined : localEtcdTools(opts.version);
  const etcd = opts.etcd ?? found?.etcd;
  const etcdctl = opts.etcdctl ?? found?.etcdctl;
  if (!etcd || !etcdctl)
    throw badInput(
      'no etcd binaries on this machine',
      'run bash scripts/setup.sh (it builds etcd with Go, once)',
    );
  const bin = { etcd, etcdctl, etcdutl: opts.etcdutl ?? found?.etcdutl ?? 'etcdutl' };
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-etcd-'));
  const [cport, pport] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${cport}`;
  const peer = `http://127.0.0.1:${pport}`;
  let dataDir = join(dir, 'data');
  if (opts.prepare) {
    try {
      dataDir = await opts.prepare(dir, { name: 'lb', peerURL: peer });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const child: ChildProcess = spawn(
    bin.etcd,
    [
      '--name',
      'lb',
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `lb=${peer}`,
      '--quota-backend-bytes',
      String(opts.quotaBytes ?? 2 ** 31),
      '--log-level',
      'error',
      '--logger',
      'zap',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid!;
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as unknown;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGTERM');
      const t = setTimeout(() => child.exitCode === null && process.kill(pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`etcd exited early: ${stderr}`);
    try {
      const r = await fetch(`${endpoint}/health`);
      if (r.ok && ((await r.json()) as { health?: string }).health === 'true') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dir,
    endpoint,
    pid,
    put: async (key, value) => void (await call('/v3/kv/put', { key: b64(key), value: b64(value) })),
    putMany: async (kvs) =>
      void (await call('/v3/kv/txn', {
        success: kvs.map(([k, v]) => ({ request_put: { key: b64(k), value: b64(v) } })),
      })),
    del: async (key) => void (await call('/v3/kv/deleterange', { key: b64(key) })),
    compact: async (rev) => void (await call('/v3/kv/compaction', { revision: String(rev), physical: true })),
    etcdctl: async (...args) =>
      (
        await run(bin.etcdctl, [`--endpoints=${endpoint}`, ...args], {
          env: { ...process.env, ETCDCTL_API: '3' },
          maxBuffer: 1 << 28,
          encoding: 'utf8',
        })
      ).stdout,
    etcdutl: async (...args) =>
      (await run(bin.etcdutl, args, { maxBuffer: 1 << 28, encoding: 'utf8' })).stdout,
    stop,
  };
}
