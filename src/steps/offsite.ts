// Backup steps off the operator's machine: publish the backup to its target (object store or folder, encrypted when
// configured), manifest last, then prune old backups when retention is configured.
import { safeComponent } from '../local/private.js';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decision, phase } from '../engine/define.js';
import type { DecisionDef, PlanCtx, StepDef } from '../engine/types.js';
import {
  abortPending,
  MANIFEST,
  prunable,
  putFile,
  putManifest,
  removeBackup,
  toPrune,
  type BackupManifest,
} from '../backup/backups.js';
import { isS3, openStore, type Store } from '../backup/store.js';
import { pinManifest } from '../backup/pins.js';
import { readRegularText } from '../local/input.js';
import { fileSha256 } from '../local/digest.js';

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
  const manifest = {
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
  } satisfies BackupManifest;
  // Pinned here: a restore from this machine refuses a manifest someone changed in the store since.
  pinManifest(store.url, id, c.inventory.cluster, await putManifest(store, manifest));
  // Every file was read back from the store and matched: the plain local copies are no longer needed.
  rmSync(localDir(c), { recursive: true, force: true });
  return { published: url, files: files.length, staging: 'removed' };
}

const sha = async (f: string) => (await fileSha256(f)).sha256;

const keepOf = (c: PlanCtx) => ({
  ...c.inventory.backup?.keep,
  ...(c.params.keep ? { last: Number(c.params.keep) } : {}),
});

const retention = (c: PlanCtx) => {
  const k = keepOf(c);
  const parts = [k.last ? `the ${k.last} newest` : '', k.days ? `${k.days} days` : ''].filter(Boolean);
  return `keep ${parts.join(' and ')} in ${targetOf(c)}`;
};

/** What retention would delete now, and what it ignores (with why): the same rules both prune steps use. */
async function pruneCandidates(c: PlanCtx, store: Store) {
  const now = new Date();
  const { backups, ignored } = await prunable(store, c.inventory.cluster, now);
  return { gone: toPrune(backups, keepOf(c), now, backupId(c)), ignored };
}

/**
 * Retention after a successful backup (keep.last / keep.days from the inventory or `--set keep=N`): first a dry run
 * that lists what would go, then the deletion, a destructive step confirmed after that list was shown.
 */
export function pruneIfRetained(): DecisionDef {
  return decision({
    id: 'retention',
    title: 'Retention configured: prune older backups?',
    decide: (c) => {
      const k = keepOf(c);
      return k.last || k.days
        ? { branch: 'prune', why: retention(c) }
        : { branch: 'none', why: 'no retention configured: nothing is deleted' };
    },
    branches: { none: [], prune: [phase('prune', 'Prune older backups', [pruneDryRun(), pruneStep()])] },
  });
}

function pruneDryRun(): StepDef {
  return {
    id: 'list',
    title: "List what retention would delete of this cluster's older backups (dry run: nothing deleted)",
    targets: { kind: 'local' },
    local: {
      describe: (c) => `${retention(c)}: list the backups that would be deleted`,
      run: async (c, rt) => {
        const store = openStore(targetOf(c), cfgOf(c));
        try {
          const { gone, ignored } = await pruneCandidates(c, store);
          for (const m of gone) rt.log(`prune would delete backup ${m.id} (taken ${m.takenAt})`);
          if (gone.length === 0) rt.log('prune would delete nothing');
          return { wouldPrune: gone.map((m) => m.id), ignored: ignored.map((x) => `${x.id}: ${x.why}`) };
        } finally {
          store.close();
        }
      },
    },
  };
}

/** Deletes only backups the dry run listed that retention still selects (never one it did not show). */
function pruneStep(): StepDef {
  return {
    id: 'delete',
    title: "Delete the older backups the dry run listed (only Lifeboat's own, by their manifests)",
    targets: { kind: 'local' },
    destructive: true,
    changes:
      'deletes the backups the previous step listed: each manifest and the files it lists, nothing else',
    local: {
      describe: (c) => `${retention(c)}: delete what the dry run listed`,
      run: async (c, rt) => {
        const listed = rt.outputs['prune/list']?.local?.wouldPrune;
        const shown = new Set(Array.isArray(listed) ? listed : []);
        const store = openStore(targetOf(c), cfgOf(c));
        try {
          const { gone } = await pruneCandidates(c, store);
          const confirmed = gone.filter((m) => shown.has(m.id));
          for (const m of confirmed) await removeBackup(store, m);
          const unlisted = gone.filter((m) => !shown.has(m.id)).map((m) => m.id);
          return {
            pruned: confirmed.map((m) => m.id),
            ...(unlisted.length ? { notListedKept: unlisted } : {}),
          };
        } finally {
          store.close();
        }
      },
    },
  };
}
