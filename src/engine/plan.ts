// plan(runbook, inventory, facts, params): the pure walk of the machine that dry-run prints and run executes.
import { platformFor } from '../platform/index.js';
import { makeTools } from '../etcd/tools.js';
import { compile, FINAL, type Compiled } from './machine.js';
import type { Action, HostCtx, PlanCtx, RunbookDef, StepAction, StepDef, Verify } from './types.js';

export interface PlannedHost {
  member: string;
  actions: Action[];
  check?: string;
  verify?: Verify;
}

export interface PlannedStep {
  kind: 'step';
  stateId: string;
  phase: string;
  phaseTitle: string;
  id: string;
  title: string;
  destructive: boolean;
  changes?: string;
  hint?: string;
  timeoutMs: number;
  retries: number;
  targets: string;
  parallel: boolean;
  hosts: PlannedHost[];
  local?: string;
}

export interface PlannedDecision {
  kind: 'decision';
  stateId: string;
  id: string;
  title: string;
  branch: string;
  why: string;
}

export type PlanItem = PlannedStep | PlannedDecision;

export interface Plan {
  runbook: string;
  title: string;
  cluster: string;
  topology: string;
  items: PlanItem[];
  outcome: 'done' | 'refused';
  refusal?: string;
  warnings: string[];
  tools: Record<string, string>;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/** The plan holds a script's text: what runs, what the audit log records, what dry-run prints. */
export const planned = (a: StepAction): Action => (a.kind === 'sh' ? { ...a, script: a.script.text } : a);

function targetMembers(step: StepDef, c: PlanCtx): { names: string[]; parallel: boolean; describe: string } {
  const all = c.inventory.members.map((m) => m.name);
  switch (step.targets.kind) {
    case 'local':
      return { names: [], parallel: false, describe: 'local' };
    case 'each':
      return { names: all, parallel: false, describe: 'each member in turn' };
    case 'all':
      return { names: all, parallel: true, describe: 'all members in parallel' };
    case 'pick':
      return {
        names: step.targets.members(c),
        parallel: step.targets.parallel ?? false,
        describe: step.targets.describe,
      };
  }
}

export function hostCtx(c: PlanCtx, memberName: string, warn: (m: string) => void): HostCtx {
  const member = c.inventory.members.find((m) => m.name === memberName);
  if (!member) throw new Error(`no member '${memberName}' in the inventory`);
  return {
    ...c,
    member,
    tools: makeTools(member, c.facts.members[memberName]),
    platform: platformFor(c.inventory.topology),
    warn,
  };
}

export function plan(rb: RunbookDef, c: PlanCtx, compiled: Compiled = compile(rb)): Plan {
  const warnings: string[] = [];
  const warn = (m: string) => {
    if (!warnings.includes(m)) warnings.push(m);
  };
  const items: PlanItem[] = [];
  let state = compiled.initial;
  let refusal: string | undefined;
  const guard = new Set<string>();
  while (state !== FINAL.done && state !== FINAL.refused) {
    if (guard.has(state)) throw new Error(`runbook ${rb.id}: loop at ${state}`);
    guard.add(state);
    const info = compiled.states.get(state);
    if (!info) throw new Error(`runbook ${rb.id}: unknown state ${state}`);
    const node = compiled.machine.root.states[state];
    if (info.kind === 'decision') {
      const { branch, why } = info.decision.decide(c);
      if (!(branch in info.decision.branches))
        throw new Error(`runbook ${rb.id}: decision ${info.decision.id} chose unknown branch '${branch}'`);
      items.push({
        kind: 'decision',
        stateId: state,
        id: info.decision.id,
        title: info.decision.title,
        branch,
        why,
      });
      if (info.decision.branches[branch] === 'refuse') refusal = why;
      state = node?.transitions.get(`BRANCH.${branch}`)?.[0]?.target?.[0]?.key ?? FINAL.done;
      continue;
    }
    const { step, phase } = info;
    const t = targetMembers(step, c);
    const hosts: PlannedHost[] = t.names.map((name) => {
      const hc = hostCtx(c, name, warn);
      const h: PlannedHost = { member: name, actions: (step.actions?.(hc) ?? []).map(planned) };
      if (step.check) h.check = step.check(hc).text;
      if (step.verify) {
        const v = step.verify(hc);
        h.verify = { ...v, script: v.script.text };
      }
      return h;
    });
    const p: PlannedStep = {
      kind: 'step',
      stateId: state,
      phase: phase.id,
      phaseTitle: phase.title,
      id: step.id,
      title: step.title,
      destructive: step.destructive === true,
      timeoutMs: step.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retries: step.retries ?? 0,
      targets: t.describe,
      parallel: t.parallel,
      hosts,
    };
    if (step.changes) p.changes = step.changes;
    if (step.hint) p.hint = step.hint;
    if (step.local) p.local = step.local.describe(c);
    items.push(p);
    state = node?.transitions.get('DONE')?.[0]?.target?.[0]?.key ?? FINAL.done;
  }
  const tools: Record<string, string> = {};
  for (const m of c.inventory.members) tools[m.name] = makeTools(m, c.facts.members[m.name]).describe;
  const out: Plan = {
    runbook: rb.id,
    title: rb.title,
    cluster: c.inventory.cluster,
    topology: c.inventory.topology,
    items,
    outcome: state === FINAL.refused ? 'refused' : 'done',
    warnings,
    tools,
  };
  if (refusal !== undefined) out.refusal = refusal;
  return out;
}

export const stepsOf = (p: Plan) => p.items.filter((i): i is PlannedStep => i.kind === 'step');
