// The run directory: run.json (what was decided at start), snapshot.json (machine state), audit.jsonl, lock.
import { closeSync, openSync, readFileSync, renameSync, writeSync, existsSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { privateDir, writePrivate } from '../../local/private.js';
import { refused, badInput } from '../../errors/error.js';
import { readRegularText } from '../../local/input.js';
import { parseUntrusted, RunRecordSchema, SnapshotSchema } from './runschema.js';
import type { Facts } from '../../etcd/facts.js';
import type { Plan } from '../plan.js';
import type { LocalFile } from '../types.js';

export interface RunRecord {
  version: 1;
  runId: string;
  runbook: string;
  runbookHash: string;
  inventoryPath: string;
  inventoryHash: string;
  params: Record<string, string>;
  stamp: string;
  startedAt: string;
  facts: Facts;
  files: Record<string, LocalFile>;
  plan: Plan;
  /** Secrets to mask (kept so a resumed run masks the same values); the run dir is mode 0700. */
  secretParams: string[];
}

/** Writes a file so that a crash leaves either the old or the new content, never half (0600, no symlink followed). */
export const writeAtomic = (path: string, data: string): void => writePrivate(path, data);

export const runFiles = (dir: string) => ({
  record: join(dir, 'run.json'),
  snapshot: join(dir, 'snapshot.json'),
  audit: join(dir, 'audit.jsonl'),
  lock: join(dir, 'lock'),
});

export function createRunDir(dir: string): void {
  if (existsSync(runFiles(dir).record))
    throw badInput(
      `run dir ${dir} already holds a run`,
      `resume it with 'lifeboat resume ${dir}' or choose another --run-dir`,
    );
  privateDir(dir);
}

export function readRunRecord(dir: string): RunRecord {
  const f = runFiles(dir).record;
  if (!existsSync(f))
    throw badInput(
      `run dir ${dir} holds no run (no run.json)`,
      "give the directory printed by 'lifeboat run'",
    );
  const hint = 'nothing was run; restore the run dir from a copy or start a new run';
  return parseUntrusted(RunRecordSchema, readJson(f, 'run.json', hint), f, hint) as unknown as RunRecord;
}

/** The machine position stored in snapshot.json (validated); undefined before the first step. */
export function readSnapshot(dir: string): { status: 'active' | 'done'; value: string } | undefined {
  const f = runFiles(dir).snapshot;
  if (!existsSync(f)) return undefined;
  const hint = 'nothing was run; restore the run dir from a copy or start a new run';
  return parseUntrusted(SnapshotSchema, readJson(f, 'snapshot.json', hint), f, hint);
}

function readJson(f: string, name: string, hint: string): unknown {
  const text = readRegularText(f, name);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badInput(`${f} is not readable JSON (damaged or forged)`, hint);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** One run at a time per run dir: the lock names its holder; a dead holder's lock is taken over. */
export function lockRunDir(dir: string, who: string): () => void {
  const f = runFiles(dir).lock;
  const me = JSON.stringify({ pid: process.pid, host: hostname(), who, at: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(f, 'wx', 0o600);
      writeSync(fd, me);
      closeSync(fd);
      return () => {
        if (existsSync(f) && readFileSync(f, 'utf8') === me) unlinkSync(f);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid?: number; host?: string; who?: string } = {};
      try {
        holder = JSON.parse(readFileSync(f, 'utf8')) as typeof holder;
      } catch {
        // An unreadable lock is a torn write by a crashed holder.
      }
      if (holder.host === hostname() && holder.pid !== undefined && alive(holder.pid)) {
        throw refused(
          `run dir ${dir} is in use by pid ${holder.pid} (${holder.who ?? 'unknown'})`,
          'wait for that run to stop, or stop it first',
        );
      }
      renameSync(f, `${f}.stale-${Date.now()}`);
    }
  }
  throw refused(`run dir ${dir}: could not take the lock`, 'try again');
}
