// Rebuilds the pure plan context of a run from its record (inventory re-read, facts and stamp as stored).
import { loadInventory } from '../inventory/load.js';
import type { RunRecord } from './record/rundir.js';
import type { PlanCtx } from './types.js';

export function loadPlanCtx(r: RunRecord): PlanCtx {
  return {
    inventory: loadInventory(r.inventoryPath),
    facts: r.facts,
    params: r.params,
    runId: r.runId,
    stamp: r.stamp,
    files: r.files,
  };
}
