// NOSPACE (etcd's maintenance guide): back up, compact to the current revision, defragment one member at a time
// (leader last), disarm the alarm, check that a write succeeds.
import { z } from 'zod';
import { decision, defineRunbook, phase } from '../src/engine/define.js';
import { quorum } from '../src/etcd/facts.js';
import { DEFAULT_QUOTA, QUOTA_WARN, kib, spaceFromFacts } from '../src/etcd/storage.js';
import type { PlanCtx, Targets } from '../src/engine/types.js';
import {
  archiveConfig,
  downloadBackup,
  saveSnapshot,
  snapshotStatus,
  writeManifest,
} from '../src/steps/backup.js';
import { verifyClusterStep } from '../src/steps/cluster.js';
import { followersThenLeader, leaderLast } from '../src/steps/data.js';
import {
  MAX_QUOTA,
  compactStep,
  defragStep,
  disarmStep,
  raiseQuotaStep,
  writeCheckStep,
  type QuotaPlan,
} from '../src/steps/space.js';
import { certificatesValid, dataNotNewer, gated, notMoved } from '../src/steps/gates.js';

const names = (c: PlanCtx) => c.inventory.members.map((m) => m.name);
const space = (c: PlanCtx) => spaceFromFacts(c.facts, names(c), c.facts.memberList);
/** The backup is taken from one follower (the leader keeps its work), else the only member. */
const backupFrom = (c: PlanCtx) => [leaderLast(c)[0]!];
/** The quota now (the largest probed), and what it becomes when live data alone is above 80 % of it. */
const quotaPlan = (c: PlanCtx): QuotaPlan => {
  const quota = Math.max(0, ...space(c).storage.map((s) => s.quota)) || DEFAULT_QUOTA;
  const to = c.params.quota ? Number(c.params.quota) : Math.max(quota, Math.min(MAX_QUOTA, 2 * quota));
  return { quota, limit: Math.floor(quota * QUOTA_WARN), to };
};
const raiseWhy = (c: PlanCtx) => {
  const p = quotaPlan(c);
  return (
    `; --quota-backend-bytes raised from ${p.quota} to ${p.to} (rolling restart) if live data after ` +
    `defragmenting is above ${kib(p.limit)}`
  );
};
const one: Targets = { kind: 'pick', members: backupFrom, describe: 'one member (a follower)' };

export default defineRunbook({
  id: 'free-space',
  title: 'Free etcd space after NOSPACE: back up, compact, defragment member by member, disarm the alarm',
  summary:
    'Confirms the NOSPACE alarm (or a member above 80 % of its quota), takes a snapshot through ' +
    'the backup steps and copies it off the cluster, compacts the key history to the current ' +
    'revision, defragments the members one at a time (followers first; leadership moved off the ' +
    'leader before its turn; every member answering between turns), raises --quota-backend-bytes ' +
    'through the platform when live data alone is still above 80 % of the quota (config copy kept, ' +
    'members restarted one at a time, leader last), disarms the alarm and checks that a write ' +
    'succeeds. Keys and values are not touched.',
  when:
    "etcd answers 'mvcc: database space exceeded' (the cluster is read-only), or diagnose shows a " +
    'member above 80 % of --quota-backend-bytes. When live data alone is above 80 % of the quota ' +
    'after defragmenting, the run raises --quota-backend-bytes (2x, at most 8 GiB, or --set ' +
    'quota=BYTES), one member at a time.',
  params: z
    .object({
      force: z.enum(['true', 'false']).optional(),
      to: z.string().min(1).optional(),
      quota: z
        .string()
        .regex(/^[1-9][0-9]*$/, 'bytes, a whole number')
        .optional(),
    })
    .strict(),
  nodes: [
    gated(
      [certificatesValid, notMoved, dataNotNewer],
      decision({
        id: 'space',
        title: 'Is the NOSPACE alarm raised (or space nearly used up), and does every member answer?',
        decide: (c) => {
          if (!c.facts.probed)
            return { branch: 'free', why: 'not probed: assuming NOSPACE (the run decides from the cluster)' };
          const q = quorum(c.facts, names(c));
          if (q.lost)
            return {
              branch: 'refuse',
              why:
                `quorum is lost (${q.healthy}/${q.total} answer, ${q.needed} needed): recover it first ` +
                `(recover-quorum)`,
            };
          const down = names(c).filter((n) => !c.facts.members[n]?.status);
          if (down.length)
            return {
              branch: 'refuse',
              why:
                `${down.join(', ')} does not answer: every member is defragmented, so replace it first ` +
                `(replace-member)`,
            };
          const { alarms, storage } = space(c);
          const other = alarms.filter((a) => a.alarm !== 'NOSPACE');
          if (other.length)
            return {
              branch: 'refuse',
              why:
                `alarm ${other.map((a) => `${a.alarm} on ${a.member}`).join(', ')} raised too ('alarm ` +
                `disarm' would clear it): replace that member first (replace-member)`,
            };
          const full = storage.filter((s) => s.usedPct > QUOTA_WARN * 100);
          const nospace = alarms.some((a) => a.alarm === 'NOSPACE');
          const used = storage.map((s) => `${s.member} ${s.usedPct} %`).join(', ');
          if (!nospace && !full.length && c.params.force !== 'true')
            return {
              branch: 'refuse',
              why:
                `no NOSPACE alarm and every member under ${QUOTA_WARN * 100} % of its quota (${used}): ` +
                `for maintenance use the defrag runbook; --set force=true overrides`,
            };
          const quotaShare = `${QUOTA_WARN * 100} % of the quota`;
          const fullNames = full.map((s) => s.member).join(', ');
          return {
            branch: 'free',
            why:
              `${nospace ? 'NOSPACE alarm raised' : full.length ? `above ${quotaShare}: ${fullNames}` : 'forced'}; ` +
              `db use ${used}; defragment order ${leaderLast(c).join(', ')} (leader last)${raiseWhy(c)}`,
          };
        },
        branches: {
          refuse: 'refuse',
          free: [
            phase('backup', 'Back up first (snapshot copied off the cluster)', [
              saveSnapshot(one),
              snapshotStatus(one),
              archiveConfig(one),
              downloadBackup(one),
              writeManifest(backupFrom),
            ]),
            phase('compact', 'Compact the history', [compactStep(one)]),
            phase('defrag', 'Defragment each member in turn, the leader last', [
              defragStep(followersThenLeader, { nospaceOk: true }),
            ]),
            phase('quota', 'Raise the quota when live data alone nearly fills it', [
              raiseQuotaStep(followersThenLeader, quotaPlan),
            ]),
            phase('writes', 'Take writes again', [disarmStep(one), writeCheckStep(one)]),
            phase('verify', 'Verify', [verifyClusterStep()]),
          ],
        },
      }),
    ),
  ],
});
