// Reads and validates an inventory file; every problem is reported at once, each with its path.
import { readRegularText } from '../local/input.js';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { badInput } from '../errors/error.js';
import { InventorySchema } from './schema.js';
import { resolveInventory, type Inventory } from './resolve.js';

export type InventoryResult = { ok: true; inventory: Inventory } | { ok: false; problems: string[] };

export function parseInventory(text: string, file: string): InventoryResult {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return { ok: false, problems: [`not valid YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  const r = InventorySchema.safeParse(doc);
  if (!r.success) {
    return {
      ok: false,
      problems: r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top)'}: ${i.message}`),
    };
  }
  return { ok: true, inventory: resolveInventory(r.data, dirname(resolve(file))) };
}

/** Reads and checks an inventory file; an unreadable file is an error, invalid content a result. */
export function readInventory(file: string): InventoryResult {
  return parseInventory(readRegularText(file, 'inventory'), file);
}

export function loadInventory(file: string): Inventory {
  const r = readInventory(file);
  if (!r.ok)
    throw badInput(
      `inventory ${file}: ${r.problems.join('; ')}`,
      "fix these fields (see 'lifeboat inventory check')",
    );
  return r.inventory;
}
