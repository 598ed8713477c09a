// etcd 3.7 refuses --experimental-* flags (docs/procedures.md#migrate-flags): each member's flags replaced by their
// successors, one member at a time, etcd restarted and healthy before the next.
import { z } from 'zod';
import { chosenMembers, decision, defineRunbook, phase } from '../src/engine/define.js';
import type { PlanCtx } from '../src/engine/types.js';
import { verifyClusterStep } from '../src/steps/cluster.js';
import { migrateFlagsStep, withExperimentalFlags } from '../src/steps/flags.js';

const names = (c: PlanCtx) => c.inventory.members.map((m) => m.name);
const chosen = (c: PlanCtx) => chosenMembers(names(c), c.params.members);
const todo = (c: PlanCtx) => withExperimentalFlags(c, chosen(c));
const each = {
  kind: 'pick',
  members: todo,
  describe: 'each member with --experimental-* flags, one at a time',
} as const;

export default defineRunbook({
  id: 'migrate-flags',
  title: 'Replace --experimental-* etcd flags with their successors (etcd 3.7 refuses them)',
  summary:
    "Reads each member's etcd configuration (manifest, etcd.conf, unit drop-ins), and on the members that carry " +
    '--experimental-* flags (--set members=a,b; default all), one at a time: stops etcd, replaces each flag by ' +
    "its successor (the flag without the prefix, or a --feature-gates entry) the platform's way, keeping the " +
    'original, starts etcd and waits for it to be healthy. No data is touched.',
  when:
    'Before or after moving to etcd 3.7 (Kubernetes 1.37), when diagnose names --experimental-* flags: on 3.7 ' +
    'etcd does not start with one, on 3.6 they are deprecated.',
  params: z
    .object({
      members: z
        .string()
        .regex(/^[a-z0-9.,-]+$/)
        .optional(),
    })
    .strict(),
  nodes: [
    decision({
      id: 'found',
      title: 'Which members carry --experimental-* flags?',
      decide: (c) => {
        try {
          chosen(c);
        } catch (err) {
          return { branch: 'refuse', why: (err as Error).message };
        }
        if (!c.facts.probed)
          return {
            branch: 'refuse',
            why: 'not probed: the flags are read from the hosts (plan --probe, or run)',
          };
        const list = todo(c);
        if (!list.length)
          return { branch: 'refuse', why: 'no member carries an --experimental-* flag: nothing to migrate' };
        const found = list.map((n) => `${n}: ${c.facts.members[n]!.experimentalFlags!.join(' ')}`);
        return { branch: 'migrate', why: found.join('; ') };
      },
      branches: {
        refuse: 'refuse',
        migrate: [
          phase(
            'migrate',
            'One member at a time: stop etcd, replace the flags, start etcd, healthy before the next',
            [migrateFlagsStep(each)],
          ),
          phase('verify', 'Verify', [verifyClusterStep()]),
        ],
      },
    }),
  ],
});
