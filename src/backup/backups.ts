// Backups in a store: files uploaded (encrypted when asked) with sha256 checked end to end, the manifest written last
// (it is what makes a backup exist), then listed, fetched, verified and pruned by their manifests.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, openSync, renameSync, rmSync } from 'node:fs';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Identity } from 'age-encryption';
import { z } from 'zod';
import { badInput, LifeboatError } from '../errors/error.js';
import { parseBoundedJson } from '../local/bounded-json.js';
import { NEW_PRIVATE } from '../local/private.js';
import type { PendingUpload, Store } from './store.js';

export const MANIFEST = 'backup-manifest.json';

/** A plain file name: no folder, not `.` or `..`; anything a bucket names is joined onto a local folder only so. */
const PLAIN_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,255}$/;
export const isPlainName = (s: string) => PLAIN_NAME.test(s);
const plainName = z.string().regex(PLAIN_NAME, 'not a plain file name (no folder, no ..)');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'not a sha256');
const byteCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const storedFileSchema = z.object({
  name: plainName,
  /** sha256 of the plain file, as computed on the host: what every copy is checked against. */
  sha256: sha256Hex,
  bytes: byteCount,
  /** sha256 and size of the bytes in the store (the age file when encrypted). */
  storedSha256: sha256Hex,
  storedBytes: byteCount,
  /** Recipients that can open the file (labels, no secrets); absent when not encrypted. */
  recipients: z.array(z.string().max(512)).max(64).optional(),
});
export type StoredFile = z.infer<typeof storedFileSchema>;

/** A manifest as read from a store: every field checked before use (a bucket is written by others too). */
export const manifestSchema = z.looseObject({
  format: z.literal('lifeboat-backup/1').optional(),
  id: plainName.optional(),
  cluster: z.string().min(1).max(253),
  takenAt: z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'not a date'),
  runId: z.string().max(200).optional(),
  encrypted: z.boolean().default(false),
  verified: z.boolean().default(false),
  members: z
    .array(
      z.looseObject({
        member: z.string().min(1).max(253),
        file: plainName,
        config: plainName.optional(),
        revision: byteCount.nullable().optional(),
        totalKey: byteCount.nullable().optional(),
      }),
    )
    .max(1000),
  files: z.array(storedFileSchema).max(10_000).default([]),
});

export type BackupManifest = z.infer<typeof manifestSchema> & { id: string };

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

/** Writes the manifest (what makes the backup exist); returns the sha256 of its bytes, for the local pin. */
export async function putManifest(store: Store, m: BackupManifest): Promise<string> {
  const text = JSON.stringify(m, null, 2) + '\n';
  await store.put(`${m.id}/${MANIFEST}`, Readable.from([text]), {});
  return createHash('sha256').update(text).digest('hex');
}

/** What a manifest's bytes say: the checked manifest and its sha256, or every problem in one line. */
export type ManifestRead =
  { ok: true; manifest: BackupManifest; sha256: string } | { ok: false; problem: string };

const MAX_MANIFEST_BYTES = 4 << 20;

export async function readManifest(store: Store, id: string): Promise<ManifestRead> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of await store.get(`${id}/${MANIFEST}`)) {
    size += (c as Buffer).length;
    if (size > MAX_MANIFEST_BYTES) return { ok: false, problem: `larger than ${MAX_MANIFEST_BYTES} bytes` };
    chunks.push(c as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  let raw: unknown;
  try {
    raw = parseBoundedJson(bytes.toString('utf8'));
  } catch (err) {
    return { ok: false, problem: `not valid JSON (${(err as Error).message.split('\n')[0]})` };
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success)
    return {
      ok: false,
      problem: r.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; '),
    };
  if (r.data.id !== undefined && r.data.id !== id)
    return { ok: false, problem: `its id ${r.data.id} is not its folder ${id}` };
  return { ok: true, manifest: { ...r.data, id }, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Backup ids: folders right under the store holding a manifest (a manifest deeper down is no Lifeboat backup). */
async function manifestIds(store: Store): Promise<string[]> {
  return (await store.list())
    .map((o) => o.key)
    .filter((k) => k.endsWith(`/${MANIFEST}`))
    .map((k) => k.slice(0, -MANIFEST.length - 1))
    .filter(isPlainName);
}

/** Every complete backup (one with a valid manifest), oldest first; uploads without a manifest are not backups. */
export async function listBackups(store: Store, cluster?: string): Promise<BackupManifest[]> {
  const out: BackupManifest[] = [];
  for (const id of await manifestIds(store)) {
    const r = await readManifest(store, id);
    if (r.ok && (!cluster || r.manifest.cluster === cluster)) out.push(r.manifest);
  }
  return out.sort((a, b) => a.takenAt.localeCompare(b.takenAt));
}

export async function getManifest(store: Store, id: string): Promise<BackupManifest> {
  return (await getManifestRead(store, id)).manifest;
}

/** The manifest of one backup with the sha256 of its bytes; a missing or malformed manifest is exit 2. */
export async function getManifestRead(
  store: Store,
  id: string,
): Promise<{ manifest: BackupManifest; sha256: string }> {
  if (!isPlainName(id)) throw badInput(`backup id '${id}' is not a backup name`);
  const all = await store.list(`${id}/`);
  if (!all.some((o) => o.key === `${id}/${MANIFEST}`))
    throw badInput(`backup ${store.url}/${id} does not exist (no manifest)`, "see 'lifeboat backup list'");
  const r = await readManifest(store, id);
  if (!r.ok)
    throw badInput(`backup ${store.url}/${id}: the manifest is refused: ${r.problem}`, 'use another backup');
  return r;
}

/** Every key a backup's manifest lists (its files, or its members' files for a backup without a file list). */
export function backupKeys(m: BackupManifest): string[] {
  if (m.files.length) return m.files.map((f) => storedKey(m.id, f));
  return m.members.flatMap((x) => [x.file, ...(x.config ? [x.config] : [])]).map((n) => `${m.id}/${n}`);
}

const storedKey = (id: string, f: StoredFile) => `${id}/${f.name}${f.recipients ? '.age' : ''}`;

/** Fails a stream as soon as more than `limit` bytes have passed: an object bigger than its manifest says. */
function capped(limit: number, what: string) {
  let bytes = 0;
  return new Transform({
    transform(c: Buffer, _e, cb) {
      bytes += c.length;
      if (bytes > limit)
        cb(badInput(`${what}: larger than the manifest says (${limit} bytes)`, 'use another backup'));
      else cb(null, c);
    },
  });
}

/**
 * Fetches one stored file to `out`: into a private part file beside it, stopped as soon as it passes the manifest's
 * size, renamed to `out` only once sizes, both sha256 and decryption all succeeded (no bad bytes under a real name).
 */
export async function fetchFile(
  store: Store,
  id: string,
  f: StoredFile,
  out: string,
  identities: Array<string | Identity>,
): Promise<void> {
  const what = `${store.url}/${id}/${f.name}`;
  if (!isPlainName(f.name)) throw badInput(`${what}: not a plain file name`, 'use another backup');
  if (f.recipients && !identities.length)
    throw badInput(
      `${what} is encrypted (to ${f.recipients.join(', ')})`,
      'give the identity with --identity FILE',
    );
  const part = `${out}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const stored = hasher();
    const src = await store.get(storedKey(id, f));
    // The stored bytes are counted, capped and hashed as they come; a failure there fails the whole fetch.
    void pipeline(src, capped(f.storedBytes, what), stored.t).catch((err: Error) => stored.t.destroy(err));
    const plain = hasher();
    const body = f.recipients
      ? await (await import('./age.js')).decryptStream(stored.t, identities, what)
      : stored.t;
    // Opened before anything can fail: a stream that opened its file after the cleanup below would leave it behind.
    const file = createWriteStream(part, { fd: openSync(part, NEW_PRIVATE, 0o600) });
    await pipeline(body, capped(f.bytes, what), plain.t, file);
    const s = stored.done();
    const p = plain.done();
    if (s.bytes !== f.storedBytes || p.bytes !== f.bytes)
      throw badInput(`${what}: its size does not match the manifest (truncated?)`, 'use another backup');
    if (s.sha256 !== f.storedSha256 || p.sha256 !== f.sha256)
      throw badInput(
        `${what}: sha256 does not match the manifest (the stored copy is damaged)`,
        'use another backup',
      );
    renameSync(part, out);
  } catch (err) {
    rmSync(part, { force: true });
    if (err instanceof LifeboatError) throw err;
    throw badInput(
      `${what}: cannot ${f.recipients ? 'decrypt' : 'read'} it (${oneLine((err as Error).message)})`,
      'the stored copy is damaged or not for this identity: use another backup',
    );
  }
}

const oneLine = (s: string) =>
  s
    .split('\n')[0]!
    .replace(/[\x00-\x1f\x7f]/g, '?')
    .slice(0, 200);

/**
 * Per cluster, the backups to delete so that the newest `last` and those younger than `days` stay (a
 * backup kept by either stays).
 */
export function toPrune(
  all: BackupManifest[],
  keep: { last?: number; days?: number },
  now: Date,
  justWritten?: string,
): BackupManifest[] {
  const clusters = [...new Set(all.map((m) => m.cluster))];
  return clusters
    .flatMap((c) =>
      pruneOne(
        all.filter((m) => m.cluster === c),
        keep,
        now,
      ),
    )
    .filter((m) => m.id !== justWritten && Date.parse(m.takenAt) <= now.getTime() + FUTURE_SKEW_MS);
}

function pruneOne(
  all: BackupManifest[],
  keep: { last?: number; days?: number },
  now: Date,
): BackupManifest[] {
  const newestFirst = [...all].sort((a, b) => Date.parse(b.takenAt) - Date.parse(a.takenAt));
  return newestFirst.filter((m, i) => {
    const byCount = keep.last !== undefined && i < keep.last;
    const byAge = keep.days !== undefined && now.getTime() - Date.parse(m.takenAt) < keep.days * 86_400_000;
    return !byCount && !byAge;
  });
}

/** Removes one backup: the manifest first (so it stops being a backup at once), then only the files it lists. */
export async function removeBackup(store: Store, m: BackupManifest): Promise<void> {
  await store.remove([`${m.id}/${MANIFEST}`]);
  await store.remove(backupKeys(m));
}

/** A clock skew allowed before a backup counts as dated in the future. */
const FUTURE_SKEW_MS = 10 * 60_000;

/**
 * The backups prune may consider: a valid manifest in its own folder, of this cluster, not dated in the future,
 * every listed file present at its listed size. The rest is never touched (nor counted among those kept).
 */
export async function prunable(
  store: Store,
  cluster: string | undefined,
  now: Date,
): Promise<{ backups: BackupManifest[]; ignored: Array<{ id: string; why: string }> }> {
  const backups: BackupManifest[] = [];
  const ignored: Array<{ id: string; why: string }> = [];
  const sizes = new Map((await store.list()).map((o) => [o.key, o.bytes]));
  for (const id of await manifestIds(store)) {
    const r = await readManifest(store, id);
    if (!r.ok) {
      ignored.push({ id, why: `manifest refused: ${r.problem}` });
      continue;
    }
    const m = r.manifest;
    if (cluster && m.cluster !== cluster) continue;
    const missing = m.files.length
      ? m.files.filter((f) => sizes.get(storedKey(id, f)) !== f.storedBytes).map((f) => f.name)
      : backupKeys(m).filter((k) => !sizes.has(k));
    if (Date.parse(m.takenAt) > now.getTime() + FUTURE_SKEW_MS)
      ignored.push({ id, why: `dated in the future (${m.takenAt})` });
    else if (missing.length)
      ignored.push({ id, why: `listed files missing or of another size: ${missing.join(', ')}` });
    else backups.push(m);
  }
  return { backups: backups.sort((a, b) => Date.parse(a.takenAt) - Date.parse(b.takenAt)), ignored };
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
