// Compiles a runbook's nodes into an xstate v5 machine: one state per step, one per decision, explicit events.
import { createMachine, type AnyStateMachine } from 'xstate';
import type { DecisionDef, Node, PhaseDef, RunbookDef, StepDef } from './types.js';

export type EngineEvent =
  { type: 'DONE' } | { type: 'SKIP' } | { type: 'ABORT' } | { type: `BRANCH.${string}` };

export const FINAL = { done: 'done', aborted: 'aborted', refused: 'refused' } as const;

export type StateInfo =
  | { kind: 'step'; id: string; phase: PhaseDef; step: StepDef }
  | { kind: 'decision'; id: string; decision: DecisionDef };

export interface Compiled {
  machine: AnyStateMachine;
  states: Map<string, StateInfo>;
  initial: string;
}

export const stepStateId = (phase: PhaseDef, step: StepDef) => `${phase.id}/${step.id}`;
export const decisionStateId = (d: DecisionDef) => `decide/${d.id}`;

export function compile(rb: RunbookDef): Compiled {
  const states = new Map<string, StateInfo>();
  const config: Record<string, object> = {};
  const add = (id: string, info: StateInfo, node: object) => {
    if (states.has(id))
      throw new Error(`runbook ${rb.id}: state '${id}' is defined twice (phase and step ids must be unique)`);
    states.set(id, info);
    config[id] = { id, ...node };
  };

  // Emits a sequence of nodes ending in `next`, last to first, and returns its first state.
  const emit = (nodes: Node[], next: string): string => {
    let after = next;
    for (const node of [...nodes].reverse()) {
      if (node.kind === 'phase') {
        for (const step of [...node.steps].reverse()) {
          const id = stepStateId(node, step);
          add(
            id,
            { kind: 'step', id, phase: node, step },
            {
              meta: { title: step.title, phase: node.title, destructive: step.destructive === true },
              on: { DONE: `#${after}`, SKIP: `#${after}`, ABORT: `#${FINAL.aborted}` },
            },
          );
          after = id;
        }
      } else {
        const id = decisionStateId(node);
        const on: Record<string, string> = { ABORT: `#${FINAL.aborted}` };
        for (const [branch, sub] of Object.entries(node.branches)) {
          on[`BRANCH.${branch}`] = `#${sub === 'refuse' ? FINAL.refused : emit(sub, after)}`;
        }
        add(id, { kind: 'decision', id, decision: node }, { meta: { title: node.title }, on });
        after = id;
      }
    }
    return after;
  };

  const initial = emit(rb.nodes, FINAL.done);
  for (const f of Object.values(FINAL)) config[f] = { id: f, type: 'final' };
  const machine = createMachine({ id: rb.id, initial, states: config } as never);
  return { machine, states, initial };
}

/** Edges of the machine as data (read from xstate's state nodes), for diagrams and path enumeration. */
export function edges(machine: AnyStateMachine): Array<{ from: string; event: string; to: string }> {
  const out: Array<{ from: string; event: string; to: string }> = [];
  for (const node of Object.values(machine.root.states)) {
    for (const [event, defs] of node.transitions) {
      for (const d of defs) for (const t of d.target ?? []) out.push({ from: node.key, event, to: t.key });
    }
  }
  return out;
}
