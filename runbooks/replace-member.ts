// Member replacement (docs/procedures.md#replace-member): with quorum, remove the failed member by ID,
// add its replacement, update the rest.
import { z } from 'zod';
import { decision, defineRunbook, phase } from '../src/engine/define.js';
import { quorum } from '../src/etcd/facts.js';
import { spaceFromFacts } from '../src/etcd/storage.js';
import type { PlanCtx } from '../src/engine/types.js';
import { verifyClusterStep } from '../src/steps/cluster.js';
import {
  byName,
  disarmCorruptStep,
  initialClusterStep,
  rejoinStep,
  removeMemberStep,
} from '../src/steps/members.js';
import { certificatesValid, dataNotNewer, gated, notMoved } from '../src/steps/gates.js';

const names = (c: PlanCtx) => c.inventory.members.map((m) => m.name);
const failed = (c: PlanCtx) => c.params.failed ?? '';
const replacement = (c: PlanCtx) => c.params.new ?? failed(c);
const remaining = (c: PlanCtx) => names(c).filter((n) => n !== failed(c) && n !== replacement(c));
/** Healthy, or failing its health check only for an alarm (NOSPACE, CORRUPT): it answers and votes. */
const healthyRemaining = (c: PlanCtx) => {
  const h = remaining(c).filter((n) => c.facts.members[n]?.healthy || c.facts.members[n]?.alarmOnly);
  return c.facts.probed ? h : remaining(c);
};
/** Members a CORRUPT alarm names (as probed): etcd's corruption check found their data differing. */
const corrupt = (c: PlanCtx) =>
  spaceFromFacts(c.facts, names(c), c.facts.memberList)
    .alarms.filter((a) => a.alarm === 'CORRUPT')
    .map((a) => a.member);

/**
 * After the removal: a CORRUPT alarm (as probed) is disarmed once the member it names is out (writes,
 * health again).
 */
const alarms = decision({
  id: 'corrupt',
  title: 'Is a CORRUPT alarm raised for the failed member?',
  decide: (c) =>
    corrupt(c).length
      ? {
          branch: 'disarm',
          why: `alarm CORRUPT on ${corrupt(c).join(', ')}: disarmed now that it is removed`,
        }
      : { branch: 'none', why: 'no CORRUPT alarm raised' },
  branches: {
    disarm: [phase('alarm', 'Disarm the CORRUPT alarm', [disarmCorruptStep(healthyRemaining)])],
    none: [],
  },
});

export default defineRunbook({
  id: 'replace-member',
  title: 'Replace a failed member (cluster keeps quorum)',
  summary:
    'Removes the failed member by ID, prepares the replacement host (old data moved aside), adds ' +
    'it as a learner, starts it with state existing and the printed initial cluster, promotes it, ' +
    "updates the remaining members' initial-cluster configuration one at a time, and verifies. A " +
    'CORRUPT alarm naming the failed member is disarmed once it is removed.',
  when:
    'One member is broken (disk lost, data corrupt, host rebuilt) while the others still have ' +
    'quorum. Without quorum, use recover-quorum.',
  params: z
    .object({ failed: z.string().min(1, 'the member to replace'), new: z.string().optional() })
    .strict(),
  needs: { downMemberParam: 'failed' },
  nodes: [
    gated(
      [certificatesValid, notMoved, dataNotNewer],
      decision({
        id: 'quorum',
        title: 'Does the cluster keep quorum without the failed member?',
        decide: (c) => {
          if (!names(c).includes(failed(c)))
            return { branch: 'refuse', why: `failed member '${failed(c)}' is not in the inventory` };
          if (!names(c).includes(replacement(c)))
            return {
              branch: 'refuse',
              why: `replacement '${replacement(c)}' is not in the inventory: add it there first`,
            };
          const q = quorum(c.facts, names(c));
          const ok = healthyRemaining(c).length;
          if (c.facts.probed && ok < q.needed)
            return {
              branch: 'refuse',
              why: `no quorum: ${ok} healthy member(s) besides ${failed(c)}, ${q.needed} needed; use recover-quorum`,
            };
          const bad = corrupt(c);
          const others = bad.filter((n) => n !== failed(c));
          if (others.length)
            return {
              branch: 'refuse',
              why:
                `alarm CORRUPT names ${others.join(', ')} too: replace those members one at a time ` +
                `('alarm disarm' would clear every alarm)`,
            };
          return {
            branch: 'replace',
            why:
              `${ok} healthy member(s) keep quorum (${q.needed} ` +
              `needed)${c.facts.probed ? '' : ' (not probed: assumed)'}; replacing ${failed(c)} with ` +
              `${replacement(c)}` +
              `${bad.length ? `; alarm CORRUPT on ${failed(c)}: disarmed once it is removed` : ''}`,
          };
        },
        branches: {
          refuse: 'refuse',
          replace: [
            phase('membership', 'Change the membership', [removeMemberStep(failed, healthyRemaining)]),
            alarms,
            phase('join', 'Bring the replacement in', [
              rejoinStep(
                {
                  targets: { kind: 'pick', members: (c) => [replacement(c)], describe: 'the replacement' },
                  before: (c) => byName(c, remaining(c)),
                },
                'add-replacement',
              ),
            ]),
            phase('config', "Update the remaining members' configuration", [
              initialClusterStep({
                kind: 'pick',
                members: remaining,
                describe: 'each remaining member in turn',
              }),
            ]),
            phase('verify', 'Verify', [verifyClusterStep()]),
          ],
        },
      }),
    ),
  ],
});
