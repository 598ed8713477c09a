// A `lifeboat backup` folder as a restore's input: its manifest names each member's snapshot and config archive.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { badInput } from '../errors/error.js';
import { readRegularText } from '../local/input.js';

export const BACKUP_MANIFEST = 'backup-manifest.json';

const ManifestSchema = z.object({
  cluster: z.string(),
  encrypted: z.boolean().optional(),
  members: z
    .array(
      z.object({
        member: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/),
        file: z.string().regex(/^[A-Za-z0-9._-]+$/),
        config: z.string().regex(/^[A-Za-z0-9._-]+$/),
        revision: z.number().int().nonnegative().optional(),
      }),
    )
    .min(1),
});

export interface BackupInput {
  dir: string;
  cluster: string;
  /** Its files are age-encrypted: only the backup store can fetch them (with an identity). */
  encrypted: boolean;
  /** The snapshot a restore uses: the member snapshot with the highest revision, the newest data it holds. */
  snapshot: string;
  /** Config archive (PKI and manifests) per backed-up member. */
  configs: Record<string, string>;
}

/** Reads DIR/backup-manifest.json (or the manifest file itself); every named file must be there. */
export function readBackup(path: string): BackupInput {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, BACKUP_MANIFEST) : path;
  let doc: unknown;
  try {
    doc = JSON.parse(readRegularText(file, 'backup manifest'));
  } catch {
    throw badInput(
      `backup ${file}: not a readable backup manifest`,
      "give the folder 'lifeboat run backup' wrote",
    );
  }
  const r = ManifestSchema.safeParse(doc);
  if (!r.success)
    throw badInput(`backup ${file}: not a backup manifest (${r.error.issues[0]?.message ?? 'bad shape'})`);
  const dir = dirname(resolve(file));
  const members = r.data.members;
  const newest = [...members].sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0]!;
  const input = {
    dir,
    cluster: r.data.cluster,
    encrypted: r.data.encrypted === true,
    snapshot: join(dir, newest.file),
    configs: Object.fromEntries(members.map((m) => [m.member, join(dir, m.config)])),
  };
  if (input.encrypted) return input;
  for (const m of members)
    for (const f of [m.file, m.config])
      if (!existsSync(join(dir, f)))
        throw badInput(`backup ${dir}: ${f} is missing`, 'give a complete backup folder');
  return input;
}
