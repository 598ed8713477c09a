// What an operator hands a run, checked and made absolute before anything is recorded: --set values, the local files
// they name (a snapshot, a backup folder or id), and the plan made from them.
import { fileSha256 } from '../local/digest.js';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { badInput } from '../errors/error.js';
import { stamp as stampOf } from '../engine/clock.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/resolve.js';
import { requireRegularFile } from '../local/input.js';
import { NO_FACTS, type Facts } from '../etcd/facts.js';
import { plan } from '../engine/plan.js';
import { loadRunbook } from '../engine/registry.js';
import type { LocalFile, PlanCtx, RunbookDef } from '../engine/types.js';
import { VERSION } from '../etcd/facts-schema.js';
import { Snapshot } from '../snapshot/snapshot.js';
import { verify as verifySnapshot } from '../snapshot/verify.js';
import { inspect } from '../snapshot/inspect.js';
import { BACKUP_MANIFEST, readBackup } from './backup-input.js';

/** --set keys that name a file or folder on the operator's machine (an object store URL stays as given). */
const LOCAL_PATH_PARAMS = ['snapshot', 'backup', 'to', 'recipients'] as const;
const isUrl = (value: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

/** Every local path among the params made absolute, so the run dir means the same from any working directory. */
export function absolutePaths(params: Record<string, string>): Record<string, string> {
  const out = { ...params };
  for (const key of LOCAL_PATH_PARAMS) {
    const value = out[key];
    if (value && !isUrl(value)) out[key] = resolve(value);
  }
  return out;
}

const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A restore's `snapshot=` as the operator may give it: a snapshot file, a backup folder, or the id of a backup in the
 * inventory's local backup folder; the latter two stand for the backup's newest member snapshot. Anything else
 * (an object store, an encrypted backup) is left to the backup store to fetch.
 */
export function localSnapshot(params: Record<string, string>, inv: Inventory): Record<string, string> {
  const given = params.snapshot;
  if (!given || isUrl(given)) return params;
  const folder = backupFolderOf(given, inv);
  if (!folder) return existsSync(given) ? { ...params, snapshot: resolve(given) } : params;
  const backup = readBackup(folder);
  return backup.encrypted ? params : { ...params, snapshot: backup.snapshot };
}

function backupFolderOf(given: string, inv: Inventory): string | undefined {
  if (existsSync(given)) return statSync(given).isDirectory() ? given : undefined;
  const store = inv.backup?.to ?? '.lifeboat/backups';
  if (isUrl(store) || !BACKUP_ID.test(given)) return undefined;
  const folder = join(store, given);
  return existsSync(join(folder, BACKUP_MANIFEST)) ? folder : undefined;
}

/** Validates --set values with the runbook's zod schema (every problem in one line); local paths made absolute. */
export function parseParams(rb: RunbookDef, raw: Record<string, string>): Record<string, string> {
  const r = rb.params.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
    throw badInput(
      `runbook ${rb.id}: bad --set values: ${problems}`,
      `see 'lifeboat show ${rb.id}' for its parameters`,
    );
  }
  return absolutePaths(r.data);
}

/** Verifies a snapshot before anything runs: a wrong hash or a damaged file stops here, with exit 2. */
function checkSnapshot(path: string): Omit<LocalFile, 'sha256' | 'bytes'> {
  const snap = Snapshot.open(path);
  try {
    const v = verifySnapshot(snap);
    if (v.sha256 === 'mismatch')
      throw badInput(
        `snapshot ${path}: its sha256 does not match the hash etcd appended (truncated or altered)`,
        'use another snapshot; nothing was changed on any host',
      );
    if (!v.ok)
      throw badInput(
        `snapshot ${path} is damaged: ${v.problems.slice(0, 3).join('; ')}`,
        'use another snapshot; nothing was changed on any host',
      );
    const r = inspect(snap, { hash: false });
    const leases = r.perResource.masterleases ?? 0;
    const written = r.storageVersion !== null && VERSION.safeParse(r.storageVersion).success;
    return {
      keys: r.liveKeys,
      leases,
      revision: r.revision,
      raw: v.sha256 === 'absent',
      ...(written ? { storageVersion: r.storageVersion! } : {}),
    };
  } finally {
    snap.close();
  }
}

/** The local files a run reads, keyed by absolute path, with their hashes (and a snapshot's counts). */
export async function localFiles(rb: RunbookDef, params: Record<string, string>): Promise<PlanCtx['files']> {
  const files: PlanCtx['files'] = {};
  const p = rb.needs?.snapshotParam;
  // A backup folder stands for its snapshot and config archives (restore onto new machines).
  const backup = p && params.backup ? readBackup(params.backup) : undefined;
  if (backup)
    for (const [member, f] of Object.entries(backup.configs))
      files[resolve(f)] = { ...(await fileSha256(f)), role: 'config', member };
  const path = p ? (params[p] ?? backup?.snapshot) : undefined;
  if (path) {
    requireRegularFile(path, `snapshot file (--set ${p})`);
    files[resolve(path)] = { ...(await fileSha256(path)), ...checkSnapshot(path) };
  }
  return files;
}

export interface PlanRequest {
  runbook: string;
  inventoryPath: string;
  params: Record<string, string>;
  facts?: Facts;
}

export async function makePlan(req: PlanRequest, now: Date) {
  const { def, hash } = await loadRunbook(req.runbook);
  const inventory = loadInventory(req.inventoryPath);
  const params = parseParams(def, req.params);
  const files = await localFiles(def, params);
  const runId = `${stampOf(now)}-${def.id}-${randomBytes(3).toString('hex')}`;
  const ctx: PlanCtx = {
    inventory,
    facts: req.facts ?? NO_FACTS,
    params,
    runId,
    stamp: stampOf(now),
    files,
    inventoryPath: resolve(req.inventoryPath),
  };
  return { def, hash, inventory, params, files, ctx, plan: plan(def, ctx) };
}
