// Helpers for writing runbooks: identity functions that keep their types, and common param schemas.
import type { DecisionDef, PhaseDef, RunbookDef, StepDef } from './types.js';

export const defineRunbook = <R extends RunbookDef>(r: R): R => r;
export const phase = (id: string, title: string, steps: StepDef[]): PhaseDef => ({
  kind: 'phase',
  id,
  title,
  steps,
});
export const decision = (d: Omit<DecisionDef, 'kind'>): DecisionDef => ({ kind: 'decision', ...d });

/** Members named by a comma-separated param, or every member. */
export function chosenMembers(all: string[], list: string | undefined): string[] {
  if (!list) return all;
  const want = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = want.filter((w) => !all.includes(w));
  if (unknown.length)
    throw new Error(`unknown member(s) ${unknown.join(', ')}; the inventory has ${all.join(', ')}`);
  return want;
}
