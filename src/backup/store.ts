// Where backups are kept: a local folder or an S3-compatible bucket, behind one small interface.
import {
  lstatSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { constants } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupConfig } from '../inventory/backup.js';
import { badInput } from '../errors/error.js';
import type { S3Options, S3Store } from './s3.js';
import { isS3, parseS3Url } from './url.js';

export interface StoredObject {
  key: string;
  bytes: number;
}

/** An upload begun and never completed: an S3 multipart upload, or a local part file. */
export interface PendingUpload {
  key: string;
  id: string;
  initiated: Date;
}

export interface Store {
  readonly url: string;
  /** Uploads under `under` that were started and never completed (a killed upload leaves its parts stored). */
  pendingUploads(under?: string): Promise<PendingUpload[]>;
  /** Drops a pending upload's stored parts (never a complete object). */
  abortUpload(p: PendingUpload): Promise<void>;
  check(): Promise<void>;
  put(key: string, body: Readable, meta: Record<string, string>): Promise<void>;
  get(key: string): Promise<Readable>;
  list(under?: string): Promise<StoredObject[]>;
  remove(keys: string[]): Promise<void>;
  close(): void;
}

export { isS3, parseS3Url } from './url.js';

export function openStore(to: string, cfg: BackupConfig = {}): Store {
  if (!isS3(to)) return new LocalStore(resolve(to));
  return new LazyS3Store({
    ...parseS3Url(to),
    endpoint: cfg.endpoint ?? process.env.LIFEBOAT_S3_ENDPOINT,
    region: cfg.region,
    pathStyle: cfg.pathStyle ?? (cfg.endpoint ? true : undefined),
    profile: cfg.profile,
  });
}

/** An S3 store whose AWS SDK is loaded on first use: most commands never touch one (the SDK costs ~0.3 CPU-s). */
class LazyS3Store implements Store {
  readonly url: string;
  private real: Promise<S3Store> | undefined;
  private loaded: S3Store | undefined;
  constructor(private readonly o: S3Options) {
    this.url = `s3://${o.bucket}/${o.prefix}`;
  }
  private store(): Promise<S3Store> {
    this.real ??= import('./s3.js').then((m) => (this.loaded = new m.S3Store(this.o)));
    return this.real;
  }
  async pendingUploads(under?: string) {
    return (await this.store()).pendingUploads(under);
  }
  async abortUpload(p: PendingUpload) {
    return (await this.store()).abortUpload(p);
  }
  async check() {
    return (await this.store()).check();
  }
  async put(key: string, body: Readable, meta: Record<string, string>) {
    return (await this.store()).put(key, body, meta);
  }
  async get(key: string) {
    return (await this.store()).get(key);
  }
  async list(under?: string) {
    return (await this.store()).list(under);
  }
  async remove(keys: string[]) {
    return (await this.store()).remove(keys);
  }
  close(): void {
    this.loaded?.close();
  }
}

const PART = /\.part-\d+$/;

/** A local folder: files 0600 in folders 0700, written under a temporary name and renamed (never half a file). */
export class LocalStore implements Store {
  constructor(readonly url: string) {}
  private path(key: string) {
    const p = resolve(this.url, key);
    if (relative(this.url, p).startsWith('..')) throw badInput(`backup file name ${key} leaves ${this.url}`);
    return p;
  }
  async check(): Promise<void> {
    mkdirSync(this.url, { recursive: true, mode: 0o700 });
  }
  async put(key: string, body: Readable): Promise<void> {
    const p = this.path(key);
    mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
    const tmp = `${p}.part-${process.pid}`;
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
    await pipeline(body, createWriteStream(tmp, { flags: flags as unknown as string, mode: 0o600 }));
    renameSync(tmp, p);
  }
  async get(key: string): Promise<Readable> {
    return createReadStream(this.path(key));
  }
  async list(under = ''): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const walk = (d: string) => {
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(d, n);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile() && !PART.test(n)) out.push({ key: relative(this.url, p), bytes: st.size });
      }
    };
    walk(this.path(under));
    return out;
  }
  async remove(keys: string[]): Promise<void> {
    for (const k of keys) rmSync(this.path(k), { force: true });
  }
  async pendingUploads(under = ''): Promise<PendingUpload[]> {
    const out: PendingUpload[] = [];
    const walk = (d: string) => {
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(d, n);
        const st = lstatSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile() && PART.test(n))
          out.push({
            key: relative(this.url, p).replace(PART, ''),
            id: relative(this.url, p),
            initiated: st.mtime,
          });
      }
    };
    walk(this.path(under));
    return out;
  }
  async abortUpload(p: PendingUpload): Promise<void> {
    // A part file on the operator's machine, left by a killed write: never a complete backup file.
    if (PART.test(p.id)) rmSync(this.path(p.id), { force: true });
  }
  close(): void {}
}
