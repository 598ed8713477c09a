// Run parameters that point into a backup store, made local before a run starts: a restore's snapshot given as
// s3://.../ID or a backup ID is fetched (hash checked, decrypted), and a backup's object store is checked (exit 2).
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Inventory } from '../inventory/resolve.js';
import { badInput } from '../errors/error.js';
import { privateDir } from '../local/private.js';
import { fetchFile, getManifestRead, type BackupManifest } from './backups.js';
import { checkPin, UNPINNED_NOTE } from './pins.js';
import { isS3, openStore } from './store.js';

/**
 * What a restore refuses before anything is fetched: another cluster's backup (unless allowOtherCluster=true, which
 * the run records with its parameters), and an unencrypted backup where the inventory configures encryption.
 */
export function checkRestorable(m: BackupManifest, inv: Inventory, params: Record<string, string>): void {
  const what = `backup ${m.id}`;
  if (m.cluster !== inv.cluster && params.allowOtherCluster !== 'true')
    throw badInput(
      `${what} is of cluster ${JSON.stringify(m.cluster)}, not ${JSON.stringify(inv.cluster)}`,
      'choose a backup of this cluster, or --set allowOtherCluster=true if restoring another cluster is meant',
    );
  const plain = !m.encrypted || m.files.some((f) => !f.recipients?.length);
  if (inv.backup?.encrypt?.recipients?.length && plain)
    throw badInput(
      `${what} is not encrypted, but the inventory encrypts backups (backup.encrypt)`,
      'someone may have planted it: choose an encrypted backup of this cluster',
    );
}

export async function prepareParams(
  runbook: string,
  params: Record<string, string>,
  inv: Inventory,
  identity?: string,
): Promise<Record<string, string>> {
  const cfg = { ...inv.backup, ...(params.endpoint ? { endpoint: params.endpoint } : {}) };
  if (runbook === 'backup') {
    const to = params.to ?? inv.backup?.to;
    if (to && isS3(to)) {
      const store = openStore(to, cfg);
      await store.check().finally(() => store.close());
    }
    return params;
  }
  // endpoint= only says where the backup store is: the restore runbooks do not take it.
  const { endpoint: _e, ...rest } = params;
  void _e;
  const snap = rest.snapshot;
  if (!snap || (!isS3(snap) && existsSync(snap)) || !/^[A-Za-z0-9]/.test(snap)) return rest;
  const s = snap.replace(/\/+$/, '');
  const i = s.lastIndexOf('/');
  const target =
    i > 0 && !s.slice(0, i).endsWith('s3:/') ? s.slice(0, i) : (inv.backup?.to ?? '.lifeboat/backups');
  const id = s.slice(i + 1);
  const store = openStore(target, cfg);
  try {
    const { manifest: m, sha256 } = await getManifestRead(store, id);
    checkRestorable(m, inv, rest);
    if (checkPin(`backup ${store.url}/${id}`, id, sha256) === 'unpinned')
      process.stderr.write(UNPINNED_NOTE(`backup ${id}`));
    // The member snapshot with the highest revision: the newest data the backup holds.
    const best = [...m.members].sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
    const f = m.files.find((x) => x.name === best?.file);
    if (!f) throw badInput(`backup ${id}: its manifest names no snapshot file`, 'use another backup');
    const out = join(privateDir(resolve('.lifeboat/fetched', id)), f.name);
    await fetchFile(store, id, f, out, identity ? (await import('./age.js')).loadIdentities(identity) : []);
    process.stderr.write(`snapshot ${f.name} of backup ${id} fetched to ${out} (sha256 checked)\n`);
    return { ...rest, snapshot: out };
  } finally {
    store.close();
  }
}

/** Where a fetched backup's snapshot goes: `.lifeboat/fetched/ID/NAME` (0700 folder, 0600 file, decrypted). */
const isFetched = (path: string) =>
  basename(dirname(dirname(path))) === 'fetched' && basename(dirname(dirname(dirname(path)))) === '.lifeboat';

/**
 * Removes the local, decrypted copy a restore's `snapshot` parameter names once the run can no longer use it: it
 * ended (done, aborted, refused) or never started. A run that failed or waits for an approval keeps it for its resume.
 */
export function removeFetched(params: Record<string, string>, status: string): void {
  const path = params.snapshot;
  if (status === 'failed' || status === 'awaiting-approval' || status === 'interrupted') return; // resume needs it
  if (!path || !isFetched(path) || !existsSync(path)) return;
  rmSync(path, { force: true });
  try {
    rmdirSync(dirname(path));
  } catch {
    // Another file of that backup is still there: the folder stays.
  }
  const why = status === 'not started' ? 'the run did not start' : `the run ended ${status}`;
  process.stderr.write(`removed the decrypted snapshot ${path} (${why})\n`);
}
