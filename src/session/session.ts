// Starting and resuming runs: probe, plan, record, lock, execute. The CLI wires real edges into this.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { badInput, refused, LifeboatError } from '../errors/error.js';
import { stamp as stampOf } from '../engine/clock.js';
import { redactDeep } from '../secrets/redact.js';
import { loadInventory } from '../inventory/load.js';
import { requireRegularFile } from '../local/input.js';
import type { Inventory } from '../inventory/resolve.js';
import { verifiedEntries } from '../engine/record/trust.js';
import { verifyAudit, type AuditEntry } from '../engine/record/audit.js';
import {
  anchoredSeq,
  anchorWriter,
  checkAnchors,
  readAnchors,
  type Anchored,
} from '../engine/record/anchor.js';
import { readBackup } from './backup-input.js';
import { NO_FACTS, type Facts } from '../etcd/facts.js';
import { foldJournal } from '../engine/record/journal.js';
import { compile } from '../engine/machine.js';
import { plan, type Plan } from '../engine/plan.js';
import { gatherFacts, requireReachable } from '../etcd/probe.js';
import { loadRunbook } from '../engine/registry.js';
import { acquireClusterLock, releaseClusterLock } from '../engine/record/clusterlock.js';
import {
  createRunDir,
  lockRunDir,
  readRunRecord,
  runFiles,
  writeAtomic,
  type RunRecord,
} from '../engine/record/rundir.js';
import { execute, type Approvals, type EngineDeps } from '../engine/runner.js';
import type { RunEvent, RunStatus } from '../engine/events.js';
import { Snapshot } from '../snapshot/snapshot.js';
import { verify as verifySnapshot } from '../snapshot/verify.js';
import { inspect } from '../snapshot/inspect.js';
import type { PlanCtx, RunbookDef } from '../engine/types.js';

export function operatorName(): string {
  const sudo = process.env.SUDO_USER;
  return sudo ? `${userInfo().username} (sudo by ${sudo})` : userInfo().username;
}

import { fileSha256 } from '../local/digest.js';

export { fileSha256 };

/** Validates --set values with the runbook's zod schema; every problem in one line. */
export function parseParams(rb: RunbookDef, raw: Record<string, string>): Record<string, string> {
  const r = rb.params.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
    throw badInput(
      `runbook ${rb.id}: bad --set values: ${problems}`,
      `see 'lifeboat show ${rb.id}' for its parameters`,
    );
  }
  return r.data;
}

/** Verifies a snapshot before anything runs: a wrong hash or a damaged file stops here, with exit 2. */
function checkSnapshot(path: string): { keys: number; leases: number; revision: number; raw: boolean } {
  const snap = Snapshot.open(path);
  try {
    const v = verifySnapshot(snap);
    if (v.sha256 === 'mismatch')
      throw badInput(
        `snapshot ${path}: its sha256 does not match the hash etcd appended (truncated or altered)`,
        'use another snapshot; nothing was changed on any host',
      );
    if (!v.ok)
      throw badInput(
        `snapshot ${path} is damaged: ${v.problems.slice(0, 3).join('; ')}`,
        'use another snapshot; nothing was changed on any host',
      );
    const r = inspect(snap, { hash: false });
    const leases = r.perResource.masterleases ?? 0;
    return { keys: r.liveKeys, leases, revision: r.revision, raw: v.sha256 === 'absent' };
  } finally {
    snap.close();
  }
}

export async function localFiles(rb: RunbookDef, params: Record<string, string>): Promise<PlanCtx['files']> {
  const files: PlanCtx['files'] = {};
  const p = rb.needs?.snapshotParam;
  // A backup folder stands for its snapshot and config archives (restore onto new machines).
  const backup = p && params.backup ? readBackup(params.backup) : undefined;
  if (backup)
    for (const [member, f] of Object.entries(backup.configs))
      files[f] = { ...(await fileSha256(f)), role: 'config', member };
  const path = p ? (params[p] ?? backup?.snapshot) : undefined;
  if (path) {
    requireRegularFile(path, `snapshot file (--set ${p})`);
    files[path] = { ...(await fileSha256(path)), ...checkSnapshot(path) };
  }
  return files;
}

export interface PlanRequest {
  runbook: string;
  inventoryPath: string;
  params: Record<string, string>;
  facts?: Facts;
}

export async function makePlan(req: PlanRequest, now: Date) {
  const { def, hash } = await loadRunbook(req.runbook);
  const inventory = loadInventory(req.inventoryPath);
  const params = parseParams(def, req.params);
  const files = await localFiles(def, params);
  const runId = `${stampOf(now)}-${def.id}-${randomBytes(3).toString('hex')}`;
  const ctx: PlanCtx = { inventory, facts: req.facts ?? NO_FACTS, params, runId, stamp: stampOf(now), files };
  return { def, hash, inventory, params, files, ctx, plan: plan(def, ctx) };
}

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
  const dir = resolve(o.runDir ?? `.lifeboat/runs/${made.ctx.runId}`);
  // The cluster lock comes first: a refused run leaves no run dir behind.
  const lock = await acquireClusterLock(inventory, facts, o.deps.executor, {
    runId: made.ctx.runId,
    operator: o.deps.operator,
    host: hostname(),
    dir,
  });
  try {
    createRunDir(dir);
  } catch (err) {
    await releaseClusterLock(o.deps.executor, lock, made.ctx.runId);
    throw err;
  }
  const release = lockRunDir(dir, o.deps.operator);
  try {
    const secretParams = Object.entries(made.params)
      .filter(([k]) => /password|secret|key$/i.test(k))
      .map(([, v]) => v);
    const record: RunRecord = {
      version: 1,
      runId: made.ctx.runId,
      runbook: def.id,
      runbookHash: made.hash,
      inventoryPath: resolve(o.inventoryPath),
      inventoryHash: sha(readFileSync(o.inventoryPath)),
      params: made.params,
      stamp: made.ctx.stamp,
      startedAt: now.toISOString(),
      facts,
      files: made.files,
      plan: redactDeep(made.plan, o.deps.redactor.with(secretParams)),
      secretParams,
    };
    writeAtomic(runFiles(dir).record, JSON.stringify(record, null, 2));
    o.onPlan?.(made.plan, dir);
    const { deps, anchors } = anchoredDeps(o.deps, inventory, facts, record.runId, secretParams);
    (deps.pending ??= []).push(...((await o.before?.(facts)) ?? []));
    (deps.pending ??= []).push({
      type: 'lock',
      action: 'acquired',
      where: `${lock.member}:${lock.path}`,
      holder: record.runId,
    });
    const status = await anchoredAtEnd(dir, anchors, o.onAnchored, () =>
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
    );
    if (status === 'done' || status === 'refused' || status === 'aborted')
      await releaseClusterLock(o.deps.executor, lock, record.runId);
    return { status, dir };
  } finally {
    release();
  }
}

export function operatorIdentity() {
  const sudo = process.env.SUDO_USER;
  return { user: userInfo().username, ...(sudo ? { sudoUser: sudo } : {}), host: hostname() };
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

export interface ResumeOptions {
  dir: string;
  approvals: Approvals;
  deps: EngineDeps;
  acceptChangedRunbook: boolean;
  afterFailure?: 'retry' | 'skip' | 'abort';
  onAnchored?: (a: Anchored | undefined) => void;
}

/** Runs the engine, then anchors the final head on the members, also when the run stopped or failed. */
async function anchoredAtEnd(
  dir: string,
  anchors: ReturnType<typeof anchorWriter>,
  onAnchored: ((a: Anchored | undefined) => void) | undefined,
  go: () => Promise<RunStatus>,
): Promise<RunStatus> {
  try {
    return await go();
  } finally {
    const v = verifyAudit(runFiles(dir).audit);
    if (v.ok) await anchors.write({ seq: v.entries, hash: v.head });
    onAnchored?.(anchors.last);
  }
}

/** Refuses a log the members' anchors contradict; returns the newest entry they vouch for. */
async function checkedAgainstAnchors(
  inv: Inventory,
  facts: Facts,
  ex: EngineDeps['executor'],
  runId: string,
  entries: AuditEntry[],
): Promise<number> {
  const reachable = { ...inv, members: inv.members.filter((m) => facts.members[m.name]?.reachable) };
  const { anchors } = await readAnchors(reachable, ex, runId);
  const problems = checkAnchors(entries, anchors);
  if (problems.length > 0)
    throw badInput(
      `audit log of run ${runId} does not match the members' anchors: ${problems.join('; ')}`,
      'nothing was run; the run dir was cut or rewritten — restore it from a copy, or start a new run',
    );
  return anchoredSeq(anchors);
}

export async function resumeRun(o: ResumeOptions): Promise<RunStatus> {
  const record = readRunRecord(o.dir);
  const { def, hash } = await loadRunbook(record.runbook);
  if (hash !== record.runbookHash && !o.acceptChangedRunbook) {
    throw refused(
      `runbook ${record.runbook} changed since this run started (hash ` +
        `${record.runbookHash.slice(0, 12)} -> ${hash.slice(0, 12)})`,
      'check the change, then resume with --accept-changed-runbook',
    );
  }
  const inventoryHash = existsSync(record.inventoryPath)
    ? sha(readFileSync(record.inventoryPath))
    : 'missing';
  if (inventoryHash !== record.inventoryHash) {
    throw refused(
      `inventory ${record.inventoryPath} changed (or is gone) since this run started`,
      'put back the inventory the run started with; the plan depends on it',
    );
  }
  parseParams(def, record.params);
  const entries = verifiedEntries(runFiles(o.dir).audit);
  const journal = foldJournal(entries);
  if (journal.final === 'aborted') {
    const end = [...entries].reverse().find((e) => e.type === 'run.end');
    throw refused(
      `run ${record.runId} was aborted${journal.aborted ? ` (${journal.aborted})` : ''}` +
        `${end ? ` at ${end.ts}` : ''}; it cannot be resumed`,
      'nothing more runs in it and its cluster lock is released; start a new run',
    );
  }
  if (journal.final === 'done' || journal.final === 'refused') {
    throw refused(`run ${record.runId} already ended (${journal.final})`, 'start a new run');
  }
  const release = lockRunDir(o.dir, o.deps.operator);
  try {
    let afterFailure: 'retry' | 'skip' | 'abort' | undefined = o.afterFailure;
    if (journal.lastFailed && !afterFailure) {
      if (!o.deps.prompter.interactive) {
        throw new LifeboatError('approval', `step ${journal.lastFailed} failed; choose what to do`, {
          hint: `resume with --retry, --skip or --abort`,
        });
      }
      afterFailure = await o.deps.prompter.choose<'retry' | 'skip' | 'abort'>(
        `Step ${journal.lastFailed} failed. What now?`,
        [
          { value: 'retry', name: 'retry the step' },
          { value: 'skip', name: 'skip it (recorded)' },
          { value: 'abort', name: 'abort the run' },
        ],
      );
      if (
        afterFailure === 'skip' &&
        !(await o.deps.prompter.confirm(
          `Really skip ${journal.lastFailed}? The runbook continues as if it had succeeded.`,
          [],
        ))
      ) {
        throw new LifeboatError('approval', 'skip not confirmed', { hint: 'resume again to choose' });
      }
    }
    const inventory = loadInventory(record.inventoryPath);
    const facts = await gatherFacts(inventory, o.deps.executor, o.deps.clock.now());
    const upTo = await checkedAgainstAnchors(inventory, facts, o.deps.executor, record.runId, entries);
    const anchored = anchoredDeps(o.deps, inventory, facts, record.runId, record.secretParams);
    const { anchors } = anchored;
    const deps: EngineDeps = { ...anchored.deps, trustApprovalsUpTo: upTo };
    const lock = await acquireClusterLock(inventory, facts, o.deps.executor, {
      runId: record.runId,
      operator: o.deps.operator,
      host: hostname(),
      dir: o.dir,
    });
    const status = await anchoredAtEnd(o.dir, anchors, o.onAnchored, () =>
      execute({
        dir: o.dir,
        record,
        runbook: def,
        compiled: compile(def),
        deps,
        approvals: o.approvals,
        opening: [
          {
            type: 'run.resume',
            by: o.deps.operator,
            acceptedChangedRunbook: hash !== record.runbookHash,
            from: journal.lastFailed ?? 'interruption',
          },
        ],
        ...(afterFailure ? { afterFailure } : {}),
      }),
    );
    if (status === 'done' || status === 'refused' || status === 'aborted')
      await releaseClusterLock(o.deps.executor, lock, record.runId);
    return status;
  } finally {
    release();
  }
}

/** The run's deps: its secrets redacted, and the audit head anchored on the members that answered the probe. */
function anchoredDeps(
  deps: EngineDeps,
  inventory: Inventory,
  facts: Facts,
  runId: string,
  secrets: string[],
) {
  const anchors = anchorWriter(inventory, deps.executor, runId, (n) => facts.members[n]?.reachable === true);
  const withAnchor: EngineDeps = {
    ...deps,
    redactor: deps.redactor.with(secrets),
    anchor: (h) => anchors.write(h),
  };
  return { deps: withAnchor, anchors };
}
