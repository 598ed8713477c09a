// A backup's manifest sha256 pinned on the machine that wrote it: what authenticates a backup read back from a store
// that others can write (the manifest holds every file's sha256, so the pin covers the files too).
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { badInput } from '../errors/error.js';
import { parseBoundedJson } from '../local/bounded-json.js';
import { appendPrivateLine } from '../local/private.js';

export const PINS = '.lifeboat/backup-pins.jsonl';

const pinSchema = z.object({
  type: z.literal('backup.pin'),
  id: z.string(),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export function pinManifest(
  target: string,
  id: string,
  cluster: string,
  manifestSha256: string,
  file = PINS,
): void {
  appendPrivateLine(
    file,
    JSON.stringify({ type: 'backup.pin', at: new Date().toISOString(), target, id, cluster, manifestSha256 }),
  );
}

/** The sha256 values pinned for a backup id here (none when it was written elsewhere, e.g. by the CronJob). */
export function pinsOf(id: string, file = PINS): string[] {
  if (!existsSync(file)) return [];
  const out: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = pinSchema.safeParse(parseBoundedJson(line, 4));
      if (r.success && r.data.id === id) out.push(r.data.manifestSha256);
    } catch {
      // a torn or foreign line: not a pin
    }
  }
  return out;
}

/**
 * A manifest read back must be the one pinned when it was written (else exit 2); a backup never pinned here is
 * authenticated only by the store's access control, which the caller says in one line.
 */
export function checkPin(what: string, id: string, sha256: string, file = PINS): 'pinned' | 'unpinned' {
  const pins = pinsOf(id, file);
  if (!pins.length) return 'unpinned';
  if (!pins.includes(sha256))
    throw badInput(
      `${what}: the manifest is not the one written at backup time (sha256 pinned in ${file} differs)`,
      'someone changed the backup in the store: use another backup',
    );
  return 'pinned';
}

export const UNPINNED_NOTE = (what: string) =>
  `WARNING ${what}: no pin of its manifest on this machine; trusting the store's access control for its contents\n`;
