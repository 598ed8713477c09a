// An etcd snapshot file: bbolt + MVCC, read page by page. All errors come out as one-line LifeboatErrors.
import { createHash } from 'node:crypto';
import { badInput, LifeboatError } from '../errors/error.js';
import { Bolt, type BucketRef } from './bolt.js';
import {
  parseKeyValue,
  parseMetaBucket,
  parseRevision,
  type EtcdMeta,
  type KeyValue,
  type Revision,
} from './mvcc.js';
import { PageFile, SnapshotError } from './pagefile.js';

export const HASH_LEN = 32;

/**
 * Tells a saved snapshot from a raw member/snap/db by the bbolt structure: `snapshot save` writes exactly hwm pages
 * and appends a 32-byte sha256; a live db file is a whole number of pages at least hwm long. Anything else was cut
 * or extended.
 */
export function hashAppended(size: number, meta: { pageSize: number; hwm: number }): boolean {
  const need = meta.hwm * meta.pageSize;
  if (size === need + HASH_LEN) return true;
  if (size >= need && size % meta.pageSize === 0) return false;
  const past = size - need;
  const what =
    past < 0
      ? `truncated: the database needs ${need} bytes (${meta.hwm} pages of ${meta.pageSize})`
      : past < HASH_LEN
        ? `truncated: the sha256 after the last page is ${past} of ${HASH_LEN} bytes`
        : `extended: ${past - HASH_LEN} bytes past the sha256 (or ${past % meta.pageSize} past a whole page)`;
  throw new SnapshotError(
    `${what}; ${size} bytes is neither a saved snapshot (${need} + ${HASH_LEN}-byte sha256) nor a ` +
      `raw db (whole pages, at least ${need})`,
  );
}

export interface LiveKey {
  key: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
  value?: Buffer;
  digest?: string;
}

export interface StateOptions {
  /** Show the store as of this revision (default: latest). */
  rev?: number;
  /** Only keys starting with this. */
  prefix?: string;
  /** Keep value bytes (copies) / a sha256 of each value. */
  values?: boolean;
  digests?: boolean;
}

export class Snapshot {
  private constructor(
    readonly path: string,
    readonly file: PageFile,
    readonly bolt: Bolt,
    readonly hasHash: boolean,
    private readonly bucketMap: Map<string, BucketRef>,
  ) {}

  /** Opens a snapshot; a LifeboatError (exit 2) names the file and what to do when it is not usable. */
  static open(path: string): Snapshot {
    let file: PageFile;
    try {
      file = new PageFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'is a directory'
            : code === 'EACCES'
              ? 'permission denied'
              : (err as Error).message;
      throw badInput(
        `${path}: ${why}`,
        'give the path of a file made by `etcdctl snapshot save` or a member/snap/db copy',
      );
    }
    try {
      const bolt = Bolt.open(file);
      const buckets = bolt.buckets();
      if (!buckets.has('key'))
        throw new SnapshotError('bbolt database has no "key" bucket: not an etcd v3 data file');
      return new Snapshot(path, file, bolt, hashAppended(file.size, bolt.meta), buckets);
    } catch (err) {
      file.close();
      throw wrap(path, err);
    }
  }

  get dbSize(): number {
    return this.hasHash ? this.file.size - HASH_LEN : this.file.size;
  }

  bucketNames(): string[] {
    return [...this.bucketMap.keys()];
  }

  bucketRef(name: string): BucketRef | undefined {
    return this.bucketMap.get(name);
  }

  /** Runs fn, turning reader errors into a LifeboatError naming this file. */
  guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw wrap(this.path, err);
    }
  }

  /** Every entry of a top-level bucket (key and value copied). */
  bucketEntries(name: string): Map<string, Buffer> {
    const ref = this.bucketMap.get(name);
    const out = new Map<string, Buffer>();
    if (!ref) return out;
    this.guard(() => this.bolt.walk(ref, (k, v) => out.set(k.toString('latin1'), Buffer.from(v))));
    return out;
  }

  /** Entry count per bucket: etcdctl's TOTAL KEYS is their sum. */
  bucketCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, ref] of this.bucketMap) {
      let n = 0;
      this.guard(() => this.bolt.walk(ref, () => n++));
      out.set(name, n);
    }
    return out;
  }

  etcdMeta(): EtcdMeta {
    return parseMetaBucket(this.bucketEntries('meta'));
  }

  /** Every revision in the key bucket, in revision order. Buffers are views: copy what you keep. */
  forEachRevision(fn: (rev: Revision, kv: KeyValue, entry: Buffer) => void): void {
    const ref = this.bucketMap.get('key')!;
    // An empty value is the marker etcdutl restore --bump-revision leaves at the bumped revision: it has no key.
    this.guard(() =>
      this.bolt.walk(ref, (k, v) => v.length > 0 && fn(parseRevision(k), parseKeyValue(v), v)),
    );
  }

  /** The live keys as of a revision: for each key its latest revision, deleted keys left out. */
  state(opts: StateOptions = {}): Map<string, LiveKey> {
    const out = new Map<string, LiveKey>();
    const prefix = opts.prefix === undefined ? undefined : Buffer.from(opts.prefix);
    this.forEachRevision((rev, kv, entry) => {
      if (opts.rev !== undefined && rev.main > opts.rev) return;
      if (prefix && !startsWith(kv.key, prefix)) return;
      const key = kv.key.toString('utf8');
      if (rev.tombstone) {
        out.delete(key);
        return;
      }
      const live: LiveKey = {
        key,
        createRevision: kv.createRevision,
        modRevision: kv.modRevision,
        version: kv.version,
        lease: kv.lease,
      };
      const value = entry.subarray(kv.valueStart, kv.valueEnd);
      if (opts.values) live.value = Buffer.from(value);
      if (opts.digests) live.digest = createHash('sha1').update(value).digest('base64');
      out.delete(key); // keep Map order = order of last change
      out.set(key, live);
    });
    return out;
  }

  close(): void {
    this.file.close();
  }
}

function startsWith(b: Buffer, p: Buffer): boolean {
  return b.length >= p.length && b.compare(p, 0, p.length, 0, p.length) === 0;
}

export function wrap(path: string, err: unknown): LifeboatError {
  if (err instanceof LifeboatError) return err;
  if (err instanceof SnapshotError)
    return badInput(
      `${path}: ${err.message}`,
      'check the file was copied completely; take a fresh `etcdctl snapshot save` if it is damaged',
    );
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string')
    return badInput(`${path}: ${e.message}`, 'check the path and permissions');
  return badInput(
    `${path}: cannot read it as an etcd snapshot (${(err as Error)?.message ?? String(err)})`,
    'take a fresh `etcdctl snapshot save`',
  );
}
