// Run parameters that point into a backup store, made local before a run starts: a restore's snapshot given as
// s3://.../ID or a backup ID is fetched (hash checked, decrypted), and a backup's object store is checked (exit 2).
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { constants } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Inventory } from '../inventory/resolve.js';
import { badInput } from '../errors/error.js';
import { fetchFile, getManifest } from './backups.js';
import { isS3, openStore } from './store.js';

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
    const m = await getManifest(store, id);
    // The member snapshot with the highest revision: the newest data the backup holds.
    const best = [...m.members].sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
    const f = m.files.find((x) => x.name === best?.file);
    if (!f) throw badInput(`backup ${id}: its manifest names no snapshot file`, 'use another backup');
    const dir = resolve('.lifeboat/fetched', id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const out = join(dir, f.name);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
    await fetchFile(
      store,
      id,
      f,
      createWriteStream(out, { flags: flags as unknown as string, mode: 0o600 }),
      identity ? (await import('./age.js')).loadIdentities(identity) : [],
    );
    process.stderr.write(`snapshot ${f.name} of backup ${id} fetched to ${out} (sha256 checked)\n`);
    return { ...rest, snapshot: out };
  } finally {
    store.close();
  }
}
