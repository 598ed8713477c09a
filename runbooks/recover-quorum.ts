// Quorum loss (docs/procedures.md#recover-quorum): survivor by highest raft index -> one-member cluster
// -> members re-added one at a time.
import { z } from 'zod';
import { decision, defineRunbook, phase } from '../src/engine/define.js';
import { chooseSurvivor, quorum } from '../src/etcd/facts.js';
import type { HostCtx, PlanCtx, Targets } from '../src/engine/types.js';
import { verifyClusterStep } from '../src/steps/cluster.js';
import {
  fixOwnership,
  followersThenLeader,
  moveAside,
  remoteSnapshot,
  restartControllers,
  restoreStep,
  startApiservers,
  startEtcd,
  stopApiservers,
  stopEtcd,
} from '../src/steps/data.js';
import { kubeletRestartDecision } from '../src/steps/kubelet.js';
import { byName, initialClusterStep, rejoinStep } from '../src/steps/members.js';
import {
  addForceNewCluster,
  backupSurvivorConfig,
  configureOneMember,
  copyDataAside,
  dropForceNewCluster,
  noForceFlagLeft,
  repointApiservers,
  saveSurvivorSnapshot,
} from '../src/steps/quorum.js';
import { certificatesValid, dataNotNewer, gated, noSpaceAlarm, notMoved } from '../src/steps/gates.js';

const names = (c: PlanCtx) => c.inventory.members.map((m) => m.name);
const survivorOf = (c: PlanCtx) =>
  chooseSurvivor(c.facts, names(c), c.params.survivor)?.name ?? c.params.survivor ?? names(c)[0]!;
const others = (c: PlanCtx) => names(c).filter((n) => n !== survivorOf(c));
const survivor: Targets = { kind: 'pick', members: (c) => [survivorOf(c)], describe: 'the survivor' };
const all: Targets = { kind: 'all' };
const snap = (c: HostCtx) => remoteSnapshot(c, 'survivor');
const member = (c: PlanCtx, n: string) => c.inventory.members.find((m) => m.name === n)!;

export default defineRunbook({
  id: 'recover-quorum',
  title: 'Recover from quorum loss: one-member cluster from the survivor, then re-add members',
  summary:
    'Confirms quorum is lost, picks the survivor with the highest raft index, saves it, rebuilds a ' +
    'one-member cluster (from its snapshot, or with --force-new-cluster added and removed again), ' +
    'repoints the API servers, re-adds every other member one at a time as learner then promoted, ' +
    'and verifies.',
  when:
    'A majority of members is gone (etcd down, data lost) and at least one member still has its ' +
    'data. With no survivor, use restore-multi-master with a backup.',
  params: z
    .object({
      strategy: z.enum(['snapshot', 'force-new-cluster']).optional(),
      survivor: z.string().optional(),
      force: z.enum(['true', 'false']).optional(),
      token: z
        .string()
        .regex(/^[A-Za-z0-9._-]+$/)
        .optional(),
    })
    .strict(),
  nodes: [
    gated(
      [certificatesValid, noSpaceAlarm, notMoved, dataNotNewer],
      decision({
        id: 'quorum',
        title: 'Is quorum lost, and who survives?',
        decide: (c) => {
          const q = quorum(c.facts, names(c));
          if (c.params.survivor && !names(c).includes(c.params.survivor))
            return { branch: 'refuse', why: `survivor ${c.params.survivor} is not in the inventory` };
          if (!c.facts.probed)
            return {
              branch: 'lost',
              why:
                `not probed: assuming quorum is lost and the survivor is ${survivorOf(c)} (the run ` +
                `decides from the cluster)`,
            };
          if (!q.lost && c.params.force !== 'true')
            return {
              branch: 'refuse',
              why:
                `quorum is healthy (${q.healthy}/${q.total} healthy, ${q.needed} needed): recovering ` +
                `would throw away a working cluster; --set force=true overrides`,
            };
          const s = chooseSurvivor(c.facts, names(c), c.params.survivor);
          if (!s)
            return {
              branch: 'refuse',
              why: 'no member answers and none has a data dir: restore from a backup with restore-multi-master',
            };
          return {
            branch: 'lost',
            why:
              `${q.healthy}/${q.total} members healthy, ${q.needed} needed${q.lost ? '' : ' (forced)'}` +
              `; survivor ${s.name}: ${s.why}`,
          };
        },
        branches: {
          refuse: 'refuse',
          lost: [
            phase('save', 'Save the survivor', [
              backupSurvivorConfig(survivor),
              saveSurvivorSnapshot(survivor, snap),
            ]),
            phase('stop', 'Stop the API servers and etcd everywhere', [
              stopApiservers(all),
              stopEtcd(followersThenLeader),
            ]),
            decision({
              id: 'strategy',
              title: 'How to make the survivor a one-member cluster?',
              decide: (c) => {
                const s = c.params.strategy ?? 'snapshot';
                return {
                  branch: s,
                  why:
                    s === 'snapshot'
                      ? "restore the survivor's own snapshot as a new one-member cluster (default)"
                      : 'start the survivor on its own data with --force-new-cluster, then remove the flag',
                };
              },
              branches: {
                snapshot: [
                  phase('single', "One-member cluster from the survivor's snapshot", [
                    moveAside(survivor),
                    restoreStep({
                      targets: survivor,
                      snapshot: snap,
                      cluster: (c) => [c.member],
                      bump: false,
                      skipHashCheck: () => 'detect',
                    }),
                    fixOwnership(survivor),
                    configureOneMember(survivor),
                    startEtcd(survivor),
                  ]),
                ],
                'force-new-cluster': [
                  phase('force', 'One-member cluster with --force-new-cluster', [
                    copyDataAside(survivor),
                    addForceNewCluster(survivor),
                    startEtcd(survivor, 'start-forced'),
                    dropForceNewCluster(survivor),
                  ]),
                ],
              },
            }),
            phase('clients', 'Point the API servers at the survivor', [
              repointApiservers({
                id: 'repoint',
                title: "Set every API server's --etcd-servers to the survivor",
                targets: all,
                urls: (c) => [member(c, survivorOf(c)).clientURL],
              }),
              startApiservers(all),
              restartControllers(all),
            ]),
            kubeletRestartDecision(),
            phase('rejoin', 'Re-add the other members one at a time', [
              rejoinStep({
                targets: { kind: 'pick', members: others, describe: 'each other member, one at a time' },
                before: (c) =>
                  byName(c, [survivorOf(c), ...others(c).slice(0, others(c).indexOf(c.member.name))]),
              }),
            ]),
            phase('finish', 'Point the API servers at every member and verify', [
              repointApiservers({
                id: 'repoint-all',
                title: "Set every API server's --etcd-servers back to all members",
                targets: all,
                urls: (c) => c.inventory.members.map((m) => m.clientURL),
              }),
              // The survivor (the leader since the one-member cluster) goes last: a restart there is one hand-over.
              initialClusterStep({
                kind: 'pick',
                members: (c) => [...others(c), survivorOf(c)],
                describe: 'each member in turn, the survivor (leader) last',
              }),
              noForceFlagLeft(all),
              verifyClusterStep(),
            ]),
          ],
        },
      }),
    ),
  ],
});
