// Backup steps off the operator's machine: publish the backup to its target (object store or folder, encrypted when
// configured), manifest last, then prune old backups when retention is configured.
import { safeComponent } from '../local/private.js';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PlanCtx, StepDef } from '../engine/types.js';
import {
  abortPending,
  listBackups,
  MANIFEST,
  putFile,
  putManifest,
  removeBackup,
  toPrune,
  type BackupManifest,
} from '../backup/backups.js';
import { isS3, openStore, type Store } from '../backup/store.js';
import { readRegularText } from '../local/input.js';

export const backupId = (c: PlanCtx) => safeComponent(`${c.inventory.cluster}-${c.stamp}`);
export const targetOf = (c: PlanCtx) => c.params.to ?? c.inventory.backup?.to ?? '.lifeboat/backups';
const cfgOf = (c: PlanCtx) => ({
  ...c.inventory.backup,
  ...(c.params.endpoint ? { endpoint: c.params.endpoint } : {}),
});

/** Recipients from `--set recipients=FILE` (one a line, as age -R) or backup.encrypt.recipients. */
export function recipientsOf(c: PlanCtx): string[] {
  if (c.params.recipients)
    return readRegularText(c.params.recipients, 'recipients file')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
  return c.inventory.backup?.encrypt?.recipients ?? [];
}

/** Published elsewhere (object store, or encrypted): the plain copy is first gathered in a local staging folder. */
export const publishes = (c: PlanCtx) => isS3(targetOf(c)) || recipientsOf(c).length > 0;

/** Where the downloads land: the backup folder itself, or the staging folder when the backup is published. */
export const localDir = (c: PlanCtx) =>
  publishes(c) ? resolve('.lifeboat/staging', backupId(c)) : resolve(targetOf(c), backupId(c));

export function publishStep(): StepDef {
  return {
    id: 'publish',
    title: 'Upload every file to the backup target (encrypted to the recipients when set), manifest last',
    targets: { kind: 'local' },
    local: {
      describe: (c) =>
        publishes(c)
          ? `upload to ${targetOf(c)}/${backupId(c)}` +
            `${recipientsOf(c).length ? `, age-encrypted to ${recipientsOf(c).length} recipient(s)` : ''}`
          : 'nothing to upload: the backup folder is the target',
      run: async (c) => {
        if (!publishes(c)) return { published: false };
        const store = openStore(targetOf(c), cfgOf(c));
        try {
          return await publish(c, store);
        } finally {
          store.close();
        }
      },
    },
    timeoutMs: 3_600_000,
  };
}

/** Uploads the staged files, manifest last; then the plain staging copy goes (the operator's disk; never a host's). */
async function publish(c: PlanCtx, store: Store): Promise<Record<string, unknown>> {
  const id = backupId(c);
  const url = `${store.url.replace(/\/$/, '')}/${id}`;
  await store.check();
  // Already complete (a run killed after the manifest went up): only the staging copy may be left to remove.
  if ((await store.list(`${id}/`)).some((o) => o.key === `${id}/${MANIFEST}`)) {
    rmSync(localDir(c), { recursive: true, force: true });
    return { published: url, staging: 'removed' };
  }
  const local = JSON.parse(readFileSync(join(localDir(c), 'backup-manifest.json'), 'utf8')) as {
    members: Array<{
      member: string;
      file: string;
      config: string;
      sha256: string;
      configSha256?: string;
    }>;
  };
  const rcp = recipientsOf(c);
  // A retry after a kill: the earlier attempt's unfinished uploads of this backup are dropped first.
  await abortPending(store, `${id}/`);
  const files = [];
  for (const m of local.members) {
    files.push(await putFile(store, id, m.file, join(localDir(c), m.file), m.sha256, rcp));
    const conf = join(localDir(c), m.config);
    files.push(await putFile(store, id, m.config, conf, await sha(conf), rcp));
  }
  const manifest: BackupManifest = {
    ...local,
    format: 'lifeboat-backup/1',
    id,
    cluster: c.inventory.cluster,
    takenAt: new Date().toISOString(),
    runId: c.runId,
    encrypted: rcp.length > 0,
    verified: true,
    members: local.members,
    files,
  };
  await putManifest(store, manifest);
  // Every file was read back from the store and matched: the plain local copies are no longer needed.
  rmSync(localDir(c), { recursive: true, force: true });
  return { published: url, files: files.length, staging: 'removed' };
}

const sha = async (f: string) => (await import('../session/inputs.js')).fileSha256(f).then((r) => r.sha256);

/** Retention after a successful backup: keep.last / keep.days from the inventory or `--set keep=N`. */
export function pruneStep(): StepDef {
  const keepOf = (c: PlanCtx) => ({
    ...c.inventory.backup?.keep,
    ...(c.params.keep ? { last: Number(c.params.keep) } : {}),
  });
  return {
    id: 'prune',
    title: "Prune this cluster's older backups in the target (only Lifeboat's own, by their manifests)",
    targets: { kind: 'local' },
    local: {
      describe: (c) => {
        const k = keepOf(c);
        return k.last || k.days
          ? `keep ${[k.last ? `the ${k.last} newest` : '', k.days ? `${k.days} days` : ''].filter(Boolean).join(' and ')} in ${targetOf(c)}`
          : 'no retention configured: nothing is deleted';
      },
      run: async (c) => {
        const k = keepOf(c);
        if (!k.last && !k.days) return { pruned: [] };
        const store = openStore(targetOf(c), cfgOf(c));
        try {
          const gone = toPrune(await listBackups(store, c.inventory.cluster), k, new Date());
          for (const m of gone) await removeBackup(store, m.id);
          return { pruned: gone.map((m) => m.id) };
        } finally {
          store.close();
        }
      },
    },
  };
}
