// A run of a test runbook on fake hosts: the inventory, the run dir with its record, the deps, and execute().
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_FACTS, type Facts } from '../../src/etcd/facts.js';
import { compile } from '../../src/engine/machine.js';
import { plan, type Plan } from '../../src/engine/plan.js';
import { createRunDir, runFiles, writeAtomic, type RunRecord } from '../../src/engine/record/rundir.js';
import { execute, type EngineDeps, type ExecuteArgs } from '../../src/engine/runner.js';
import type { RunEvent } from '../../src/engine/events.js';
import type { Params, PlanCtx, RunbookDef } from '../../src/engine/types.js';
import { loadInventory } from '../../src/inventory/load.js';
import { Redactor } from '../../src/secrets/redact.js';
import type { FakeExecutor } from './fake-executor.js';
import { manualClock } from './fake-executor.js';

/** Two members, a and b, on loopback addresses. */
export const TWO_MEMBERS = `apiVersion: lifeboat/v1
cluster: unit
topology: static-pod
members:
  - { name: a, address: 127.0.0.2 }
  - { name: b, address: 127.0.0.3 }
`;

export interface TestRun {
  runbook: RunbookDef;
  runDir: string;
  record: RunRecord;
  plan: Plan;
}

/** A fresh run dir holding the record of a run of `runbook`, as `lifeboat run` writes it before executing. */
export function newRun(
  runbook: RunbookDef,
  o: { prefix: string; params?: Params; facts?: Facts; secretParams?: string[] },
): TestRun {
  const dir = mkdtempSync(join(tmpdir(), o.prefix));
  const invPath = join(dir, 'inventory.yaml');
  writeFileSync(invPath, TWO_MEMBERS);
  const params = o.params ?? {};
  const facts = o.facts ?? NO_FACTS;
  const ctx: PlanCtx = {
    inventory: loadInventory(invPath),
    facts,
    params,
    runId: 'r1',
    stamp: '20261122T100000Z',
    files: {},
  };
  const thePlan = plan(runbook, ctx);
  const runDir = join(dir, 'run');
  createRunDir(runDir);
  const record: RunRecord = {
    version: 1,
    runId: 'r1',
    runbook: runbook.id,
    runbookHash: 'h',
    inventoryPath: invPath,
    inventoryHash: 'i',
    params,
    stamp: ctx.stamp,
    startedAt: '',
    facts,
    files: {},
    plan: thePlan,
    secretParams: o.secretParams ?? [],
  };
  writeAtomic(runFiles(runDir).record, JSON.stringify(record));
  return { runbook, runDir, record, plan: thePlan };
}

/** Deps on a fake executor and a manual clock; a prompter that answers from `answers` (then no). */
export function testDeps(
  ex: FakeExecutor,
  o: {
    events?: RunEvent[];
    interactive?: boolean;
    answers?: Array<boolean | 'abort'>;
    failpoint?: EngineDeps['failpoint'];
  } = {},
): EngineDeps {
  const answers = o.answers ?? [];
  const events = o.events;
  return {
    executor: ex,
    clock: manualClock(),
    prompter: {
      interactive: o.interactive ?? false,
      confirm: async () => answers.shift() ?? false,
      choose: async () => 'retry' as never,
    },
    listeners: events ? [(e) => events.push(e)] : [],
    redactor: new Redactor(),
    operator: 'tester',
    ...(o.failpoint ? { failpoint: o.failpoint } : {}),
  };
}

/** Executes the run with nothing approved and no opening events unless `extra` says otherwise. */
export const executeRun = (run: TestRun, deps: EngineDeps, extra: Partial<ExecuteArgs> = {}) =>
  execute({
    dir: run.runDir,
    record: run.record,
    runbook: run.runbook,
    compiled: compile(run.runbook),
    deps,
    approvals: { all: false, steps: new Set() },
    opening: [],
    ...extra,
  });
