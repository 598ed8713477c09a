// Quorum loss (PROCEDURES §5): survivor by highest raft index -> one-member cluster -> members re-added one at a time.
import { z } from 'zod';
import { decision, defineRunbook, phase } from '../src/engine/define.js';
import { chooseSurvivor, quorum } from '../src/engine/facts.js';
import { shq } from '../src/engine/tools.js';
import type { HostCtx, PlanCtx, Targets } from '../src/engine/types.js';
import { healthy, verifyClusterStep } from '../src/steps/cluster.js';
import {
  aside,
  serial,
  fixOwnership,
  followersThenLeader,
  moveAside,
  newToken,
  remoteSnapshot,
  restoreStep,
  startApiservers,
  startEtcd,
  stopApiservers,
  stopEtcd,
} from '../src/steps/data.js';
import { byName, initialClusterStep, rejoinStep } from '../src/steps/members.js';

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
    'Confirms quorum is lost, picks the survivor with the highest raft index, saves it, rebuilds a one-member cluster (from its snapshot, or with --force-new-cluster added and removed again), repoints the API servers, re-adds every other member one at a time as learner then promoted, and verifies.',
  when: 'A majority of members is gone (etcd down, data lost) and at least one member still has its data. With no survivor, use restore-multi-master with a backup.',
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
            why: `not probed: assuming quorum is lost and the survivor is ${survivorOf(c)} (the run decides from the cluster)`,
          };
        if (!q.lost && c.params.force !== 'true')
          return {
            branch: 'refuse',
            why: `quorum is healthy (${q.healthy}/${q.total} healthy, ${q.needed} needed): recovering would throw away a working cluster; --set force=true overrides`,
          };
        const s = chooseSurvivor(c.facts, names(c), c.params.survivor);
        if (!s)
          return {
            branch: 'refuse',
            why: 'no member answers and none has a data dir: restore from a backup with restore-multi-master',
          };
        return {
          branch: 'lost',
          why: `${q.healthy}/${q.total} members healthy, ${q.needed} needed${q.lost ? '' : ' (forced)'}; survivor ${s.name}: ${s.why}`,
        };
      },
      branches: {
        refuse: 'refuse',
        lost: [
          phase('save', 'Save the survivor', [
            {
              id: 'config',
              title: "Back up the survivor's configuration and certificates",
              targets: survivor,
              actions: (c) => [
                {
                  kind: 'sh',
                  script: c.platform.backupConfig(
                    c.member,
                    `${c.member.backupDir}/lifeboat-config-${c.stamp}`,
                  ),
                },
              ],
              check: (c) => `[ -d ${shq(`${c.member.backupDir}/lifeboat-config-${c.stamp}`)} ]`,
            },
            {
              id: 'snapshot',
              title:
                'Snapshot the survivor if it answers, else copy its db file (restored with --skip-hash-check)',
              targets: survivor,
              actions: (c) => [
                {
                  kind: 'sh',
                  script: [
                    serial(c),
                    `s=${shq(snap(c))}; mkdir -p ${shq(c.member.backupDir)}; umask 077`,
                    'if [ -s "$s" ]; then echo "already saved: $s"; exit 0; fi',
                    // etcdctl writes FILE.part and renames it; the db copy goes the same way, so FILE exists only when whole.
                    `if ${c.tools.etcdctl('--command-timeout=10s snapshot save "$s"')}; then echo "snapshot saved from the running member"`,
                    `else touch "$s.raw" && cp ${shq(`${c.member.dataDir}/member/snap/db`)} "$s.copying" && mv "$s.copying" "$s" && echo "etcd does not answer: copied member/snap/db (no hash: restore skips the hash check)"; fi`,
                    'chmod 600 "$s"',
                  ].join('\n'),
                },
              ],
              check: (c) => `[ -s ${shq(snap(c))} ]`,
              timeoutMs: 600_000,
            },
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
                  {
                    id: 'flags',
                    title: 'Configure the survivor as a one-member cluster (initial cluster = itself)',
                    targets: survivor,
                    actions: (c) => [
                      {
                        kind: 'sh',
                        script: c.platform.setEtcdFlags(c.member, c.stamp, {
                          'initial-cluster': `${c.member.name}=${c.member.peerURL}`,
                          'initial-cluster-state': 'new',
                          'initial-cluster-token': newToken(c),
                        }),
                      },
                    ],
                  },
                  startEtcd(survivor),
                ]),
              ],
              'force-new-cluster': [
                phase('force', 'One-member cluster with --force-new-cluster', [
                  {
                    id: 'copy-aside',
                    title: "Copy the survivor's data dir aside first (kept, never deleted)",
                    targets: survivor,
                    // Copied to a temporary name and renamed: the aside dir exists only when the copy is whole.
                    actions: (c) => [
                      {
                        kind: 'sh',
                        script: `${serial(c)}\na=${shq(aside(c))}; if [ -e "$a" ]; then echo "already copied to $a"; else if [ -e "$a.copying" ]; then mv "$a.copying" "$a.copying-partial-$(date +%s)"; fi; cp -a ${shq(c.member.dataDir)} "$a.copying" && mv "$a.copying" "$a" && echo "copied to $a"; fi`,
                      },
                    ],
                    check: (c) => `[ -e ${shq(aside(c))} ]`,
                  },
                  {
                    id: 'add-flag',
                    title: "Add --force-new-cluster the platform's way (manifest flag, or systemd drop-in)",
                    targets: survivor,
                    destructive: true,
                    changes: 'the survivor forgets every other member when it starts',
                    actions: (c) => [
                      {
                        kind: 'sh',
                        script: c.platform.setEtcdFlags(c.member, c.stamp, {
                          'force-new-cluster': 'true',
                          'initial-cluster': `${c.member.name}=${c.member.peerURL}`,
                        }),
                      },
                    ],
                  },
                  startEtcd(survivor, 'start-forced'),
                  {
                    id: 'remove-flag',
                    title: 'Check the member list shows one member, then remove the flag again and restart',
                    targets: survivor,
                    actions: (c) => [
                      {
                        kind: 'sh',
                        script: `n=$(${c.tools.etcdctl('member list -w simple')} | grep -c .); [ "$n" = 1 ] || { echo "member list has $n members" >&2; exit 1; }`,
                      },
                      { kind: 'sh', script: c.platform.stopEtcd(c.member, c.stamp) },
                      {
                        kind: 'sh',
                        script: c.platform.setEtcdFlags(c.member, c.stamp, { 'force-new-cluster': null }),
                      },
                      { kind: 'sh', script: c.platform.startEtcd(c.member, c.stamp) },
                      {
                        kind: 'sh',
                        // 002 fixes a localhost peer URL this way; a correct one is left alone.
                        script: `line=$(${c.tools.etcdctl('member list -w simple')}); id=$(echo "$line" | cut -d, -f1); case "$line" in *${c.member.peerURL}*) echo "peer URL ok";; *) ${c.tools.etcdctl(`member update "$id" --peer-urls=${shq(c.member.peerURL)}`)};; esac`,
                      },
                    ],
                    verify: (c) => healthy(c, 120_000),
                    timeoutMs: 240_000,
                  },
                ]),
              ],
            },
          }),
          phase('clients', 'Point the API servers at the survivor', [
            {
              id: 'repoint',
              title: "Set every API server's --etcd-servers to the survivor",
              targets: all,
              actions: (c) => [
                {
                  kind: 'sh',
                  script: c.platform.setEtcdServers(c.member, c.stamp, [member(c, survivorOf(c)).clientURL]),
                },
              ],
            },
            startApiservers(all),
          ]),
          phase('rejoin', 'Re-add the other members one at a time', [
            rejoinStep({
              targets: { kind: 'pick', members: others, describe: 'each other member, one at a time' },
              before: (c) =>
                byName(c, [survivorOf(c), ...others(c).slice(0, others(c).indexOf(c.member.name))]),
            }),
          ]),
          phase('finish', 'Point the API servers at every member and verify', [
            {
              id: 'repoint-all',
              title: "Set every API server's --etcd-servers back to all members",
              targets: all,
              actions: (c) => [
                {
                  kind: 'sh',
                  script: c.platform.setEtcdServers(
                    c.member,
                    c.stamp,
                    c.inventory.members.map((m) => m.clientURL),
                  ),
                },
              ],
            },
            initialClusterStep({ kind: 'each' }),
            {
              id: 'no-force-flag',
              title: 'No --force-new-cluster flag or drop-in left on any member',
              targets: all,
              actions: (c) => [{ kind: 'sh', script: c.platform.noForceNewCluster(c.member) }],
              hint: 'remove the temporary flag by hand (move the drop-in aside), or resume to retry',
            },
            verifyClusterStep(),
          ]),
        ],
      },
    }),
  ],
});
