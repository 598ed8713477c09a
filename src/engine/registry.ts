// The runbooks shipped in runbooks/, loaded lazily; a runbook's content hash is the hash of its file.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { badInput } from '../core/errors.js';
import type { RunbookDef } from './types.js';
import { readRegularFile } from '../local/input.js';

export const RUNBOOK_IDS = [
  'backup',
  'restore-single-master',
  'restore-multi-master',
  'recover-quorum',
  'replace-member',
  'readdress',
] as const;

function fileOf(id: string): string | undefined {
  for (const ext of ['.js', '.ts']) {
    const f = fileURLToPath(new URL(`../../runbooks/${id}${ext}`, import.meta.url));
    if (existsSync(f)) return f;
  }
  return undefined;
}

export function availableRunbooks(): string[] {
  return RUNBOOK_IDS.filter((id) => fileOf(id) !== undefined);
}

export async function loadRunbook(id: string): Promise<{ def: RunbookDef; hash: string; file: string }> {
  const file = (RUNBOOK_IDS as readonly string[]).includes(id) ? fileOf(id) : undefined;
  if (!file)
    throw badInput(
      `unknown runbook '${id}'`,
      `choose one of: ${availableRunbooks().join(', ')} ('lifeboat runbooks' lists them)`,
    );
  const mod = (await import(new URL(`../../runbooks/${id}.js`, import.meta.url).href)) as {
    default: RunbookDef;
  };
  const hash = createHash('sha256').update(readRegularFile(file, 'runbook')).digest('hex');
  return { def: mod.default, hash, file };
}
