// After a restore the kubelets' watch caches hold revisions from before: restart them, with the inventory's command.
import { decision, phase } from '../engine/define.js';
import type { DecisionDef, PlanCtx, StepDef } from '../engine/types.js';
import { sh } from '../shell/sh.js';

const withCommand = (c: PlanCtx) => c.inventory.members.filter((m) => m.kubeletRestart);
const without = (c: PlanCtx) => c.inventory.members.filter((m) => !m.kubeletRestart).map((m) => m.name);

/** The inventory's restart command on each member that has one, host after host (the pods keep running). */
export const restartKubeletsStep = (): StepDef => ({
  id: 'restart-kubelets',
  title:
    'Restart the kubelet (its watch caches hold revisions from before the restore; the pods keep running)',
  targets: {
    kind: 'pick',
    members: (c) => withCommand(c).map((m) => m.name),
    describe:
      'each member with kubelet.restartUnit or kubelet.restartCommand in the inventory, one at a time',
  },
  destructive: true,
  changes:
    'the kubelet restarts on this host (its containers keep running); it relists from the restored etcd',
  actions: (c) => [{ kind: 'sh', script: sh`${c.member.kubeletRestart ?? ['true']}` }],
  timeoutMs: 120_000,
  hint: "the kubelet restart command failed; run it by hand, then 'systemctl status kubelet' or its log",
});

/**
 * The advice, and the step when the inventory says how: with a command (kubelet.restartUnit or restartCommand) the
 * plan names it and runs it, confirmed; without, the plan says to restart every kubelet by hand.
 */
export function kubeletRestartDecision(): DecisionDef {
  return decision({
    id: 'kubelet',
    title: 'Restart the kubelets so their caches relist?',
    decide: (c) => {
      const hand = without(c);
      const byHand =
        `restart the kubelet by hand on ${hand.join(', ')} (e.g. systemctl restart kubelet): its watch caches hold ` +
        "revisions from before; the inventory's kubelet.restartUnit or kubelet.restartCommand lets Lifeboat do it";
      const have = withCommand(c);
      if (have.length === 0) return { branch: 'advise', why: byHand };
      const cmd = (m: (typeof have)[number]) => sh`${m.kubeletRestart!}`.text;
      const same = have.every((m) => cmd(m) === cmd(have[0]!));
      const cmds = same
        ? `${cmd(have[0]!)} on ${have.map((m) => m.name).join(', ')}`
        : have.map((m) => `${m.name}: ${cmd(m)}`).join('; ');
      return {
        branch: 'restart',
        why: `restart each kubelet with the inventory's command (${cmds})${hand.length ? `; ${byHand}` : ''}`,
      };
    },
    branches: {
      restart: [phase('kubelet', 'Restart the kubelets', [restartKubeletsStep()])],
      advise: [],
    },
  });
}
