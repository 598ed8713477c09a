// Resuming a run: the record, runbook and inventory checked against what it started with, the audit log against the
// members' anchors, then the engine continues from the journal.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { badInput, refused, LifeboatError } from '../errors/error.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/resolve.js';
import { verifiedEntries } from '../engine/record/trust.js';
import type { AuditEntry } from '../engine/record/audit.js';
import { anchoredSeq, checkAnchors, readAnchors, type Anchored } from '../engine/record/anchor.js';
import type { Facts } from '../etcd/facts.js';
import { foldJournal, type JournalState } from '../engine/record/journal.js';
import { compile } from '../engine/machine.js';
import { gatherFacts } from '../etcd/probe.js';
import { loadRunbook } from '../engine/registry.js';
import { acquireClusterLock } from '../engine/record/clusterlock.js';
import { lockRunDir, readRunRecord, runFiles, type RunRecord } from '../engine/record/rundir.js';
import { execute, type Approvals, type EngineDeps } from '../engine/runner.js';
import type { RunStatus } from '../engine/events.js';
import { parseParams } from './inputs.js';
import { anchoredDeps, requireNotInterrupted, runToEnd } from './running.js';

type AfterFailure = 'retry' | 'skip' | 'abort';

export interface ResumeOptions {
  dir: string;
  approvals: Approvals;
  deps: EngineDeps;
  acceptChangedRunbook: boolean;
  afterFailure?: AfterFailure;
  onAnchored?: (a: Anchored | undefined) => void;
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

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

/** The run may go on: same runbook (or accepted), same inventory, and not ended. */
function requireResumable(
  record: RunRecord,
  hash: string,
  accept: boolean,
  entries: AuditEntry[],
): JournalState {
  if (hash !== record.runbookHash && !accept)
    throw refused(
      `runbook ${record.runbook} changed since this run started (hash ` +
        `${record.runbookHash.slice(0, 12)} -> ${hash.slice(0, 12)})`,
      'check the change, then resume with --accept-changed-runbook',
    );
  const inventoryHash = existsSync(record.inventoryPath)
    ? sha(readFileSync(record.inventoryPath))
    : 'missing';
  if (inventoryHash !== record.inventoryHash)
    throw refused(
      `inventory ${record.inventoryPath} changed (or is gone) since this run started`,
      'put back the inventory the run started with; the plan depends on it',
    );
  const journal = foldJournal(entries);
  if (journal.final === 'aborted') {
    const end = [...entries].reverse().find((e) => e.type === 'run.end');
    throw refused(
      `run ${record.runId} was aborted${journal.aborted ? ` (${journal.aborted})` : ''}` +
        `${end ? ` at ${end.ts}` : ''}; it cannot be resumed`,
      'nothing more runs in it and its cluster lock is released; start a new run',
    );
  }
  if (journal.final === 'done' || journal.final === 'refused')
    throw refused(`run ${record.runId} already ended (${journal.final})`, 'start a new run');
  return journal;
}

/** After a failed step: the flag the operator gave, or the choice asked on a terminal (a skip confirmed twice). */
async function choiceAfterFailure(
  failed: string | undefined,
  given: AfterFailure | undefined,
  prompter: EngineDeps['prompter'],
): Promise<AfterFailure | undefined> {
  if (!failed || given) return given;
  if (!prompter.interactive)
    throw new LifeboatError('approval', `step ${failed} failed; choose what to do`, {
      hint: `resume with --retry, --skip or --abort`,
    });
  const choice = await prompter.choose<AfterFailure>(`Step ${failed} failed. What now?`, [
    { value: 'retry', name: 'retry the step' },
    { value: 'skip', name: 'skip it (recorded)' },
    { value: 'abort', name: 'abort the run' },
  ]);
  const question = `Really skip ${failed}? The runbook continues as if it had succeeded.`;
  if (choice === 'skip' && !(await prompter.confirm(question, [])))
    throw new LifeboatError('approval', 'skip not confirmed', { hint: 'resume again to choose' });
  return choice;
}

export async function resumeRun(o: ResumeOptions): Promise<RunStatus> {
  const record = readRunRecord(o.dir);
  const { def, hash } = await loadRunbook(record.runbook);
  const entries = verifiedEntries(runFiles(o.dir).audit);
  const journal = requireResumable(record, hash, o.acceptChangedRunbook, entries);
  parseParams(def, record.params);
  const release = lockRunDir(o.dir, o.deps.operator);
  try {
    const afterFailure = await choiceAfterFailure(journal.lastFailed, o.afterFailure, o.deps.prompter);
    const inventory = loadInventory(record.inventoryPath);
    const facts = await gatherFacts(inventory, o.deps.executor, o.deps.clock.now());
    const upTo = await checkedAgainstAnchors(inventory, facts, o.deps.executor, record.runId, entries);
    const anchored = anchoredDeps(o.deps, inventory, facts, record.runId, record.secretParams);
    const deps: EngineDeps = { ...anchored.deps, trustApprovalsUpTo: upTo };
    requireNotInterrupted(o.deps, 'the resume went on', `nothing more ran; 'lifeboat resume ${o.dir}' again`);
    const lock = await acquireClusterLock(inventory, facts, o.deps.executor, {
      runId: record.runId,
      operator: o.deps.operator,
      host: hostname(),
      dir: o.dir,
    });
    return await runToEnd({
      dir: o.dir,
      runId: record.runId,
      inventory,
      anchors: anchored.anchors,
      lock,
      executor: o.deps.executor,
      onAnchored: o.onAnchored,
      go: () =>
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
    });
  } finally {
    release();
  }
}
