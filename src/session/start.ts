// Starting a run: probe, plan, refuse from facts alone, then lock, record and execute.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { badInput, refused } from '../errors/error.js';
import { redactDeep, type Redactor } from '../secrets/redact.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/resolve.js';
import type { Anchored } from '../engine/record/anchor.js';
import type { Facts } from '../etcd/facts.js';
import { compile } from '../engine/machine.js';
import type { Plan } from '../engine/plan.js';
import { gatherFacts, requireReachable } from '../etcd/probe.js';
import { loadRunbook } from '../engine/registry.js';
import { acquireClusterLock, releaseClusterLock } from '../engine/record/clusterlock.js';
import { createRunDir, lockRunDir, runFiles, writeAtomic, type RunRecord } from '../engine/record/rundir.js';
import { problems, RunRecordSchema } from '../engine/record/runschema.js';
import { execute, type Approvals, type EngineDeps } from '../engine/runner.js';
import type { RunEvent, RunStatus } from '../engine/events.js';
import { makePlan, parseParams } from './inputs.js';
import { anchoredDeps, operatorIdentity, requireNotInterrupted, runToEnd } from './running.js';

export interface StartOptions {
  runbook: string;
  inventoryPath: string;
  params: Record<string, string>;
  runDir?: string;
  approvals: Approvals;
  deps: EngineDeps;
  /** Called after probing and planning, before anything changes (e.g. to print the plan). */
  onPlan?: (p: Plan, dir: string) => void;
  /** Read-only events recorded at the start of a run that was not refused (the diagnose table before it). */
  before?: (facts: Facts) => Promise<RunEvent[]>;
  /** Called at the end with the audit head and the members it was written on (to print it). */
  onAnchored?: (a: Anchored | undefined) => void;
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

export async function startRun(o: StartOptions): Promise<{ status: RunStatus; dir: string }> {
  const now = o.deps.clock.now();
  const inventory = loadInventory(o.inventoryPath);
  const { def } = await loadRunbook(o.runbook);
  parseParams(def, o.params);
  const facts = await gatherFacts(inventory, o.deps.executor, now);
  const mayBeDown = def.needs?.downMemberParam;
  requireReachable(inventory, facts, mayBeDown ? [o.params[mayBeDown] ?? ''] : []);
  const made = await makePlan(
    { runbook: o.runbook, inventoryPath: o.inventoryPath, params: o.params, facts },
    now,
  );
  // A refusal is decided from facts alone: nothing is written anywhere, not even the lock.
  if (made.plan.outcome === 'refused')
    throw refused(
      `${def.id} refused: ${made.plan.refusal ?? 'see the plan'}`,
      `'lifeboat plan ${def.id} --probe' shows the facts behind it; nothing was changed`,
    );
  const record = runRecord(made, facts, o.inventoryPath, now, o.deps.redactor);
  const secretParams = record.secretParams;
  const dir = resolve(o.runDir ?? `.lifeboat/runs/${made.ctx.runId}`);
  requireNotInterrupted(
    o.deps,
    'the run started',
    'nothing was changed on any host; run it again when ready',
  );
  // The cluster lock comes first: a refused run leaves no run dir behind.
  const lock = await acquireClusterLock(inventory, facts, o.deps.executor, {
    runId: record.runId,
    operator: o.deps.operator,
    host: hostname(),
    dir,
  });
  try {
    createRunDir(dir);
  } catch (err) {
    await releaseClusterLock(o.deps.executor, lock, record.runId);
    throw err;
  }
  const release = lockRunDir(dir, o.deps.operator);
  try {
    writeAtomic(runFiles(dir).record, JSON.stringify(record, null, 2));
    o.onPlan?.(made.plan, dir);
    const { deps, anchors } = anchoredDeps(o.deps, inventory, facts, record.runId, secretParams);
    (deps.pending ??= []).push(...((await o.before?.(facts)) ?? []));
    deps.pending.push({
      type: 'lock',
      action: 'acquired',
      where: `${lock.member}:${lock.path}`,
      holder: record.runId,
    });
    const status = await runToEnd({
      dir,
      runId: record.runId,
      inventory,
      anchors,
      lock,
      executor: o.deps.executor,
      onAnchored: o.onAnchored,
      go: () =>
        execute({
          dir,
          record,
          runbook: def,
          compiled: compile(def),
          deps,
          approvals: o.approvals,
          opening: [
            {
              type: 'run.start',
              runId: record.runId,
              runbook: def.id,
              runbookHash: made.hash,
              inventory: record.inventoryPath,
              inventoryHash: record.inventoryHash,
              cluster: inventory.cluster,
              operator: operatorIdentity(),
              dryRun: false,
              params: made.params,
            },
            { type: 'facts', summary: factsSummary(inventory, facts) },
            ...made.plan.warnings.map((message) => ({ type: 'warning' as const, message })),
          ],
        }),
    });
    return { status, dir };
  } finally {
    release();
  }
}

/** The run record as it is written to run.json; checked against the schema it is read back with. */
export function runRecord(
  made: Awaited<ReturnType<typeof makePlan>>,
  facts: Facts,
  inventoryPath: string,
  now: Date,
  redactor: Redactor,
): RunRecord {
  const secretParams = Object.entries(made.params)
    .filter(([k]) => /password|secret|key$/i.test(k))
    .map(([, v]) => v);
  const record: RunRecord = {
    version: 1,
    runId: made.ctx.runId,
    runbook: made.def.id,
    runbookHash: made.hash,
    inventoryPath: resolve(inventoryPath),
    inventoryHash: sha(readFileSync(inventoryPath)),
    params: made.params,
    stamp: made.ctx.stamp,
    startedAt: now.toISOString(),
    facts,
    files: made.files,
    plan: redactDeep(made.plan, redactor.with(secretParams)),
    secretParams,
  };
  // What is written must read back: a value the run dir would refuse later stops the run here, before any change.
  const check = RunRecordSchema.safeParse(JSON.parse(JSON.stringify(record)));
  if (!check.success)
    throw badInput(
      `the run cannot be recorded: ${problems(check.error)}`,
      'nothing was changed; give these values in another form',
    );
  return record;
}

export function factsSummary(inv: Inventory, facts: Facts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of inv.members) {
    const f = facts.members[m.name];
    if (!f) continue;
    out[m.name] = f.reachable
      ? [
          `etcd ${f.etcdUp ? 'up' : 'down'}`,
          f.healthy ? 'healthy' : 'unhealthy',
          f.status ? `raft index ${f.status.raftIndex}` : '',
          f.etcdVersion ? `v${f.etcdVersion}` : '',
          f.etcdUser ? `user ${f.etcdUser}` : '',
        ]
          .filter(Boolean)
          .join(', ')
      : `unreachable: ${f.error ?? ''}`;
  }
  return out;
}
