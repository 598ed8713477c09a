// A `lifeboat backup` folder as a restore's input: its manifest names each member's snapshot and config archive.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { badInput } from '../errors/error.js';
import { readRegularText } from '../local/input.js';

const ManifestSchema = z.object({
  cluster: z.string(),
  members: z
    .array(
      z.object({
        member: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/),
        file: z.string().regex(/^[A-Za-z0-9._-]+$/),
        config: z.string().regex(/^[A-Za-z0-9._-]+$/),
      }),
    )
    .min(1),
});

export interface BackupInput {
  dir: string;
  cluster: string;
  /** The snapshot a restore uses: the first member's. */
  snapshot: string;
  /** Config archive (PKI and manifests) per backed-up member. */
  configs: Record<string, string>;
}

/** Reads DIR/backup-manifest.json (or the manifest file itself); every named file must be there. */
export function readBackup(path: string): BackupInput {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'backup-manifest.json') : path;
  let doc: unknown;
  try {
    doc = JSON.parse(readRegularText(file, 'backup manifest'));
  } catch {
    throw badInput(
      `backup ${file}: not a readable backup manifest`,
      "give the folder 'lifeboat backup' wrote",
    );
  }
  const r = ManifestSchema.safeParse(doc);
  if (!r.success)
    throw badInput(`backup ${file}: not a backup manifest (${r.error.issues[0]?.message ?? 'bad shape'})`);
  const dir = dirname(resolve(file));
  for (const m of r.data.members)
    for (const f of [m.file, m.config])
      if (!existsSync(join(dir, f)))
        throw badInput(`backup ${dir}: ${f} is missing`, 'give a complete backup folder');
  return {
    dir,
    cluster: r.data.cluster,
    snapshot: join(dir, r.data.members[0]!.file),
    configs: Object.fromEntries(r.data.members.map((m) => [m.member, join(dir, m.config)])),
  };
}
