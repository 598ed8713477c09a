// The runbooks shipped in runbooks/ (listed in runbooks/index.ts), loaded lazily; a runbook's content
// hash is the hash of its file.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { badInput } from '../errors/error.js';
import type { RunbookDef } from './types.js';
import { RUNBOOK_IDS } from '../../runbooks/index.js';
import { readRegularFile } from '../local/input.js';

export { RUNBOOK_IDS };

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
