// Maintenance defragmentation: one member at a time, followers first, leadership moved off the leader before its turn.
import { z } from 'zod';
import { chosenMembers, decision, defineRunbook, phase } from '../src/engine/define.js';
import { quorum } from '../src/etcd/facts.js';
import { kib, spaceFromFacts, type MemberStorage } from '../src/etcd/storage.js';
import type { PlanCtx } from '../src/engine/types.js';
import { verifyClusterStep } from '../src/steps/cluster.js';
import { leaderLast } from '../src/steps/data.js';
import { defragStep } from '../src/steps/space.js';
import { certificatesValid, gated, noSpaceAlarm, notMoved } from '../src/steps/gates.js';

const names = (c: PlanCtx) => c.inventory.members.map((m) => m.name);
const threshold = (c: PlanCtx) => Number(c.params.threshold ?? 10);
const storageOf = (c: PlanCtx, n: string): MemberStorage | undefined =>
  spaceFromFacts(c.facts, names(c), c.facts.memberList).storage.find((s) => s.member === n);
/** Too little to gain: the share of free pages is known and under the threshold. */
const skipped = (c: PlanCtx, n: string) => (storageOf(c, n)?.fragmentationPct ?? 100) < threshold(c);
const chosen = (c: PlanCtx) => chosenMembers(names(c), c.params.members);
const toDefrag = (c: PlanCtx) => leaderLast(c).filter((n) => chosen(c).includes(n) && !skipped(c, n));
const frag = (c: PlanCtx, n: string) => {
  const s = storageOf(c, n);
  return s?.fragmentationPct === undefined
    ? `${n} (free pages unknown)`
    : `${n} ${s.fragmentationPct} % of ${kib(s.dbSize)}`;
};

export default defineRunbook({
  id: 'defrag',
  title: 'Defragment members one at a time, the leader last (maintenance)',
  summary:
    'Defragments the chosen members (--set members=a,b; default all) whose share of free pages is ' +
    'at least the threshold (--set threshold=PCT, default 10), one at a time: followers first, ' +
    "leadership moved to another member before the leader's turn, every member healthy before the " +
    'next. Nothing is compacted and no key is touched.',
  when:
    'In a maintenance window, when diagnose shows much of a db file as free pages. With the NOSPACE ' +
    'alarm raised, use free-space.',
  params: z
    .object({
      members: z
        .string()
        .regex(/^[a-z0-9.,-]+$/)
        .optional(),
      threshold: z
        .string()
        .regex(/^(100|[1-9]?\d)$/, 'a whole percentage, 0 to 100')
        .optional(),
    })
    .strict(),
  nodes: [
    gated(
      [certificatesValid, noSpaceAlarm, notMoved],
      decision({
        id: 'worth',
        title: 'Which members have enough to gain, and is the cluster healthy?',
        decide: (c) => {
          let list: string[];
          try {
            list = chosen(c);
          } catch (err) {
            return { branch: 'refuse', why: (err as Error).message };
          }
          if (!c.facts.probed)
            return {
              branch: 'defrag',
              why: `not probed: defragmenting ${list.join(', ')} (the run decides from the cluster)`,
            };
          const q = quorum(c.facts, names(c));
          const unhealthy = names(c).filter((n) => !c.facts.members[n]?.healthy);
          if (unhealthy.length)
            return {
              branch: 'refuse',
              why:
                `${unhealthy.join(', ')} not healthy (${q.healthy}/${q.total}): defragmenting a member ` +
                `now could lose quorum; with NOSPACE use free-space, else diagnose first`,
            };
          const todo = toDefrag(c);
          const skip = list.filter((n) => skipped(c, n));
          if (!todo.length)
            return {
              branch: 'refuse',
              why:
                `nothing to gain: ${skip.map((n) => frag(c, n)).join(', ')} free, under the ` +
                `${threshold(c)} % threshold`,
            };
          return {
            branch: 'defrag',
            why:
              `defragmenting ${todo.map((n) => frag(c, n)).join(', ')} in this order (leader ` +
              `last)${skip.length ? `; skipped under ${threshold(c)} %: ${skip.join(', ')}` : ''}`,
          };
        },
        branches: {
          refuse: 'refuse',
          defrag: [
            phase('defrag', 'Defragment each member in turn, the leader last', [
              defragStep({
                kind: 'pick',
                members: toDefrag,
                describe: 'each chosen member in turn, the leader last',
              }),
            ]),
            phase('verify', 'Verify', [verifyClusterStep()]),
          ],
        },
      }),
    ),
  ],
});
