// Backups in a store: files uploaded (encrypted when asked) with sha256 checked end to end, the manifest written last
// (it is what makes a backup exist), then listed, fetched, verified and pruned by their manifests.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Identity } from 'age-encryption';
import { badInput } from '../errors/error.js';
import type { PendingUpload, Store } from './store.js';

export const MANIFEST = 'backup-manifest.json';

export interface StoredFile {
  name: string;
  /** sha256 of the plain file, as computed on the host: what every copy is checked against. */
  sha256: string;
  bytes: number;
  /** sha256 and size of the bytes in the store (the age file when encrypted). */
  storedSha256: string;
  storedBytes: number;
  /** Recipients that can open the file (labels, no secrets); absent when not encrypted. */
  recipients?: string[];
}

export interface BackupManifest {
  format: 'lifeboat-backup/1';
  id: string;
  cluster: string;
  takenAt: string;
  runId?: string;
  encrypted: boolean;
  verified: boolean;
  members: Array<{ member: string; file: string; config?: string; revision?: number; totalKey?: number }>;
  files: StoredFile[];
  [k: string]: unknown;
}

/** Counts and hashes what passes through. */
function hasher() {
  const h = createHash('sha256');
  let bytes = 0;
  const t = new Transform({
    transform(c: Buffer, _e, cb) {
      h.update(c);
      bytes += c.length;
      cb(null, c);
    },
  });
  return { t, done: () => ({ sha256: h.digest('hex'), bytes }) };
}

async function sha256Of(s: Readable): Promise<{ sha256: string; bytes: number }> {
  const h = hasher();
  await pipeline(s, h.t, new PassThrough().resume());
  return h.done();
}

/**
 * Uploads one local file (plain sha256 known from the host), encrypted to the recipients when given;
 * checks it back.
 */
export async function putFile(
  store: Store,
  id: string,
  name: string,
  path: string,
  hostSha256: string,
  recipients: string[] = [],
): Promise<StoredFile> {
  const key = `${id}/${name}${recipients.length ? '.age' : ''}`;
  const plain = hasher();
  const stored = hasher();
  const src = createReadStream(path).pipe(plain.t);
  // age (and its post-quantum dependency) is loaded only for an encrypted backup.
  const age = recipients.length ? await import('./age.js') : undefined;
  const body = age ? await age.encryptStream(src, recipients) : src;
  await store.put(key, body.pipe(stored.t), { 'lifeboat-sha256': hostSha256 });
  const p = plain.done();
  const s = stored.done();
  if (p.sha256 !== hostSha256)
    throw badInput(
      `${path}: sha256 ${p.sha256.slice(0, 12)}… differs from the host's ${hostSha256.slice(0, 12)}…`,
    );
  const back = await sha256Of(await store.get(key));
  if (back.sha256 !== s.sha256)
    throw badInput(
      `${store.url}/${key}: the stored copy does not match what was sent`,
      'run the backup again',
    );
  return {
    name,
    sha256: p.sha256,
    bytes: p.bytes,
    storedSha256: s.sha256,
    storedBytes: s.bytes,
    ...(age ? { recipients: recipients.map(age.recipientLabel) } : {}),
  };
}

export async function putManifest(store: Store, m: BackupManifest): Promise<void> {
  await store.put(`${m.id}/${MANIFEST}`, Readable.from([JSON.stringify(m, null, 2) + '\n']), {});
}

/** Every complete backup (one with a manifest), oldest first; uploads without a manifest are not backups. */
export async function listBackups(store: Store, cluster?: string): Promise<BackupManifest[]> {
  const keys = (await store.list()).map((o) => o.key).filter((k) => k.endsWith(`/${MANIFEST}`));
  const out: BackupManifest[] = [];
  for (const k of keys) {
    const m = await readManifest(store, k.slice(0, -MANIFEST.length - 1));
    if (m && (!cluster || m.cluster === cluster)) out.push(m);
  }
  return out.sort((a, b) => a.takenAt.localeCompare(b.takenAt));
}

async function readManifest(store: Store, id: string): Promise<BackupManifest | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(`${id}/${MANIFEST}`)) chunks.push(c as Buffer);
  try {
    const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BackupManifest;
    return { ...m, id, files: Array.isArray(m.files) ? m.files : [] };
  } catch {
    return undefined;
  }
}

export async function getManifest(store: Store, id: string): Promise<BackupManifest> {
  if (!/^[A-Za-z0-9._-]+$/.test(id)) throw badInput(`backup id '${id}' is not a backup name`);
  const all = await store.list(`${id}/`);
  if (!all.some((o) => o.key === `${id}/${MANIFEST}`))
    throw badInput(`backup ${store.url}/${id} does not exist (no manifest)`, "see 'lifeboat backup list'");
  const m = await readManifest(store, id);
  if (!m) throw badInput(`backup ${store.url}/${id}: the manifest is not valid JSON`);
  return m;
}

/** Streams one stored file to a writable, decrypted, with both hashes checked; throws on any difference. */
export async function fetchFile(
  store: Store,
  id: string,
  f: StoredFile,
  to: NodeJS.WritableStream,
  identities: Array<string | Identity>,
): Promise<void> {
  const what = `${store.url}/${id}/${f.name}`;
  if (f.recipients && !identities.length)
    throw badInput(
      `${what} is encrypted (to ${f.recipients.join(', ')})`,
      'give the identity with --identity FILE',
    );
  const stored = hasher();
  const raw = (await store.get(`${id}/${f.name}${f.recipients ? '.age' : ''}`)).pipe(stored.t);
  const plain = hasher();
  const body = f.recipients ? await (await import('./age.js')).decryptStream(raw, identities, what) : raw;
  await pipeline(body, plain.t, to as NodeJS.WritableStream);
  const s = stored.done();
  const p = plain.done();
  if (s.sha256 !== f.storedSha256 || p.sha256 !== f.sha256)
    throw badInput(
      `${what}: sha256 does not match the manifest (the stored copy is damaged)`,
      'use another backup',
    );
}

/**
 * Per cluster, the backups to delete so that the newest `last` and those younger than `days` stay (a
 * backup kept by either stays).
 */
export function toPrune(
  all: BackupManifest[],
  keep: { last?: number; days?: number },
  now: Date,
): BackupManifest[] {
  const clusters = [...new Set(all.map((m) => m.cluster))];
  return clusters.flatMap((c) =>
    pruneOne(
      all.filter((m) => m.cluster === c),
      keep,
      now,
    ),
  );
}

function pruneOne(
  all: BackupManifest[],
  keep: { last?: number; days?: number },
  now: Date,
): BackupManifest[] {
  const newestFirst = [...all].sort((a, b) => b.takenAt.localeCompare(a.takenAt));
  return newestFirst.filter((m, i) => {
    const byCount = keep.last !== undefined && i < keep.last;
    const byAge = keep.days !== undefined && now.getTime() - Date.parse(m.takenAt) < keep.days * 86_400_000;
    return !byCount && !byAge;
  });
}

/** Removes one backup: the manifest first (so it stops being a backup at once), then its files. */
export async function removeBackup(store: Store, id: string): Promise<void> {
  await store.remove([`${id}/${MANIFEST}`]);
  await store.remove((await store.list(`${id}/`)).map((o) => o.key));
}

/**
 * Aborts uploads under `under` never completed (only those begun before `before` when given) (their
 * parts cost storage and are no
 * backup); returns them. Before a backup's files go up, every pending upload of that same backup id is from a
 * killed earlier attempt.
 */
export async function abortPending(
  store: Store,
  under: string,
  before?: Date,
  dryRun = false,
): Promise<PendingUpload[]> {
  const stale = (await store.pendingUploads(under)).filter((p) => !before || p.initiated < before);
  if (!dryRun) for (const p of stale) await store.abortUpload(p);
  return stale;
}
