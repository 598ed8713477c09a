// The runbook DSL: a runbook is data (phases, decisions, steps) compiled to an xstate machine.
import type { z } from 'zod';
import type { Inventory, ResolvedMember } from '../inventory/resolve.js';
import type { Facts } from '../etcd/facts.js';
import type { Platform } from '../platform/types.js';
import type { Tools } from '../etcd/tools.js';
import type { Script } from '../shell/sh.js';

export type Params = Record<string, string>;

/** A local input file (e.g. the snapshot), read and verified at plan time. */
export interface LocalFile {
  sha256: string;
  bytes: number;
  /** Live keys at the snapshot's revision, when the file is an etcd snapshot. */
  keys?: number;
  revision?: number;
  /** meta/storageVersion of a snapshot written by etcd 3.6+ ("3.6.0"): older binaries refuse it. */
  storageVersion?: string;
  /** Of those, API server leases (/registry/masterleases/): the live API servers rewrite them after a restore. */
  leases?: number;
  /** A backup's config archive (PKI and manifests) of this member. */
  role?: 'config';
  member?: string;
  /** The file has no appended hash (a raw member/snap/db copy): restore needs --skip-hash-check. */
  raw?: boolean;
}

/** What a plan or a command can see: pure data, fixed at run start and stored with the run. */
export interface PlanCtx {
  inventory: Inventory;
  facts: Facts;
  params: Params;
  runId: string;
  /** Run start as a compact UTC stamp: names of things moved aside stay stable across resume. */
  stamp: string;
  /** Local files known at plan time (e.g. the snapshot): path -> sha256. */
  files: Record<string, LocalFile>;
  /** The inventory file (absolute), for the command lines a refusal suggests. */
  inventoryPath?: string;
}

export interface HostCtx extends PlanCtx {
  member: ResolvedMember;
  tools: Tools;
  platform: Platform;
  /** Records a warning in the plan and the audit log (e.g. a safety feature the host's etcd lacks). */
  warn: (message: string) => void;
}

type Transfer =
  /** Copy a local file to the host; the sha256 is checked on the host. */
  | { kind: 'upload'; from: string; to: string; mode?: number }
  /** Copy a host file to the operator's machine; the sha256 is checked against the host's. */
  | { kind: 'download'; from: string; to: string };

/** What a step definition asks for: its scripts are built with sh`...` (src/shell/sh.ts), never from strings. */
export type StepAction =
  /** A shell script run on the host (through sudo -n when the inventory says so). */
  { kind: 'sh'; script: Script; secrets?: string[] } | Transfer;

/** A planned action, as the plan records and the runner executes it: the script's text. */
export type Action = { kind: 'sh'; script: string; secrets?: string[] } | Transfer;

export type Targets =
  | { kind: 'local' } // runs on the operator's machine only (no host)
  | { kind: 'each' } // every member, one after another
  | { kind: 'all' } // every member in parallel
  | { kind: 'pick'; members: (c: PlanCtx) => string[]; parallel?: boolean; describe: string };

export interface Verify<S = string> {
  script: S;
  /** Poll until it passes or this deadline passes (a condition with a deadline, not a sleep). */
  waitMs?: number;
  /** The longest pause between two polls: the first comes after 0.1 s, each next one twice as late, up to this. */
  intervalMs?: number;
}

export interface StepDef {
  id: string;
  title: string;
  targets: Targets;
  /** The commands for one host (targets other than local). */
  actions?: (c: HostCtx) => StepAction[];
  /** Local work on the operator's machine (targets local), described for the plan. */
  local?: {
    describe: (c: PlanCtx) => string;
    run: (c: PlanCtx, rt: LocalRuntime) => Promise<Record<string, unknown> | void>;
  };
  /** Exit 0 means this already happened on the host: a re-run after a crash skips it. */
  check?: (c: HostCtx) => Script;
  verify?: (c: HostCtx) => Verify<Script>;
  destructive?: boolean;
  /** What a destructive step changes, shown in the confirmation. */
  changes?: string;
  timeoutMs?: number;
  retries?: number;
  hint?: string;
  /**
   * Parse the last command's stdout into facts for the record and later local steps; that command must
   * be read-only (it runs again on resume).
   */
  capture?: (stdout: string, c: HostCtx) => Record<string, unknown>;
}

export interface PhaseDef {
  kind: 'phase';
  id: string;
  title: string;
  steps: StepDef[];
}

export interface DecisionDef {
  kind: 'decision';
  id: string;
  title: string;
  /** Decided from facts and params at plan time; `why` goes to the plan and the audit log. */
  decide: (c: PlanCtx) => { branch: string; why: string };
  /** Each branch's nodes, or 'refuse' to end the run without touching anything. */
  branches: Record<string, Node[] | 'refuse'>;
}

export type Node = PhaseDef | DecisionDef;

export interface RunbookDef<P extends z.ZodType<Params> = z.ZodType<Params>> {
  id: string;
  title: string;
  summary: string;
  /** When to use it, for `show` and the docs. */
  when: string;
  params: P;
  /** What the runbook needs before it starts, beyond its params. */
  needs?: {
    /** The param naming the snapshot file, read and verified at plan time. */
    snapshotParam?: string;
    /** The param naming a member that may be unreachable at start (the one being replaced). */
    downMemberParam?: string;
  };
  nodes: Node[];
}

export interface LocalRuntime {
  /** Outputs captured by earlier steps: stepId -> member -> captured record. */
  outputs: Record<string, Record<string, Record<string, unknown>>>;
  log: (message: string) => void;
}
