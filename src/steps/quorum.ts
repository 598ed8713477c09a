// Steps of quorum recovery (docs/procedures.md, recover-quorum): save the survivor, make it a one-member cluster.
import type { HostCtx, StepDef, Targets } from '../engine/types.js';
import { sh } from '../shell/sh.js';
import { healthy } from './cluster.js';
import { aside, newToken, serial } from './data.js';
import { initialCluster } from '../inventory/resolve.js';

const configDir = (c: HostCtx) => `${c.member.backupDir}/lifeboat-config-${c.stamp}`;
const self = (c: HostCtx) => `${c.member.name}=${c.member.peerURL}`;

export const backupSurvivorConfig = (targets: Targets): StepDef => ({
  id: 'config',
  title: "Back up the survivor's configuration and certificates",
  targets,
  actions: (c) => [{ kind: 'sh', script: c.platform.backupConfig(c.member, configDir(c)) }],
  check: (c) => sh`[ -d ${configDir(c)} ]`,
});

/** A snapshot of the survivor when it answers, else a copy of its db file (marked FILE.raw: no hash to check). */
export const saveSurvivorSnapshot = (targets: Targets, file: (c: HostCtx) => string): StepDef => ({
  id: 'snapshot',
  title: 'Snapshot the survivor if it answers, else copy its db file (restored with --skip-hash-check)',
  targets,
  actions: (c) => [
    {
      kind: 'sh',
      script: sh.lines(
        serial(c),
        sh`s=${file(c)}; mkdir -p ${c.member.backupDir}; umask 077`,
        sh`if [ -s "$s" ]; then echo "already saved: $s"; exit 0; fi`,
        // etcdctl writes FILE.part and renames it; the db copy goes the same way, so FILE exists only when whole.
        sh.join(
          [
            sh`if ${c.tools.snapshotSave(sh.raw('"$s"'), sh`--command-timeout=10s`)}`,
            sh`then echo "snapshot saved from the running member"`,
          ],
          '; ',
        ),
        sh.join(
          [
            sh`else touch "$s.raw" && cp ${`${c.member.dataDir}/member/snap/db`} "$s.copying" && mv`,
            sh`"$s.copying" "$s" && echo "etcd does not answer: copied member/snap/db (no hash: restore`,
            sh`skips the hash check)"; fi`,
          ],
          ' ',
        ),
        sh`chmod 600 "$s"`,
      ),
    },
  ],
  check: (c) => sh`[ -s ${file(c)} ]`,
  timeoutMs: 600_000,
});

/**
 * The survivor's configuration, written while it is stopped: the whole inventory as initial cluster, state existing,
 * the new token. The restore made its data dir a one-member cluster, and etcd reads these flags only to bootstrap
 * an empty data dir, so it starts as that one member; naming the whole cluster now spares the leader a restart by
 * finish/initial-cluster (an election), and an empty data dir would join, never bootstrap a second cluster.
 */
export const configureOneMember = (targets: Targets): StepDef => ({
  id: 'flags',
  title:
    'Configure the survivor: initial cluster = every member, state existing (it starts from its one-member data)',
  targets,
  actions: (c) => [
    {
      kind: 'sh',
      script: c.platform.setEtcdFlags(c.member, c.stamp, {
        'initial-cluster': initialCluster(c.inventory.members),
        'initial-cluster-state': 'existing',
        'initial-cluster-token': newToken(c),
      }),
    },
  ],
});

/** Copied to a temporary name and renamed: the aside dir exists only when the copy is whole. */
export const copyDataAside = (targets: Targets): StepDef => ({
  id: 'copy-aside',
  title: "Copy the survivor's data dir aside first (kept, never deleted)",
  targets,
  actions: (c) => [
    {
      kind: 'sh',
      script: sh.lines(
        serial(c),
        sh.join(
          [
            sh`a=${aside(c)}; if [ -e "$a" ]; then echo "already copied to $a"`,
            sh`else if [ -e "$a.copying" ]; then mv "$a.copying" "$a.copying-partial-$(date +%s)"; fi`,
            sh`cp -a ${c.member.dataDir} "$a.copying" && mv "$a.copying" "$a" && echo "copied to $a"`,
            sh`fi`,
          ],
          '; ',
        ),
      ),
    },
  ],
  check: (c) => sh`[ -e ${aside(c)} ]`,
});

export const addForceNewCluster = (targets: Targets): StepDef => ({
  id: 'add-flag',
  title: "Add --force-new-cluster the platform's way (manifest flag, or systemd drop-in)",
  targets,
  destructive: true,
  changes: 'the survivor forgets every other member when it starts',
  actions: (c) => [
    {
      kind: 'sh',
      script: c.platform.setEtcdFlags(c.member, c.stamp, {
        'force-new-cluster': 'true',
        'initial-cluster': self(c),
      }),
    },
  ],
});

/** Once the member list holds the survivor alone: the flag goes (a second start must not force again). */
export const dropForceNewCluster = (targets: Targets): StepDef => ({
  id: 'remove-flag',
  title:
    'Remove any learner --force-new-cluster kept, check the member list shows one member, then remove the flag ' +
    'again and restart',
  targets,
  actions: (c) => [
    {
      kind: 'sh',
      // etcd before 3.6.6 keeps learners through --force-new-cluster (membership now comes from the v3 store): any
      // member but this one is removed by ID, so none can come back as a zombie.
      script: sh`
        ${c.tools.etcdctl(sh`member list -w simple`)} | awk -F', ' -v me=${c.member.name} '$3 != me { print $1 }' |
          while read -r id; do
            echo "removing member $id that --force-new-cluster kept"
            ${c.tools.etcdctl(sh`member remove "$id"`)} || exit 1
          done
        n=$(${c.tools.etcdctl(sh`member list -w simple`)} | grep -c .)
        [ "$n" = 1 ] || { echo "member list has $n members" >&2; exit 1; }
      `,
    },
    { kind: 'sh', script: c.platform.stopEtcd(c.member, c.stamp) },
    {
      kind: 'sh',
      // While it is stopped anyway: the whole cluster as initial cluster, so finish/initial-cluster leaves it running.
      script: c.platform.setEtcdFlags(c.member, c.stamp, {
        'force-new-cluster': null,
        'initial-cluster': initialCluster(c.inventory.members),
        'initial-cluster-state': 'existing',
      }),
    },
    { kind: 'sh', script: c.platform.startEtcd(c.member, c.stamp) },
    {
      kind: 'sh',
      // A member started from a localhost peer URL keeps it: set the inventory's; a correct one is left alone.
      script: sh.join(
        [
          sh`line=$(${c.tools.etcdctl(sh`member list -w simple`)}); id=$(echo "$line" | cut -d, -f1)`,
          sh`case "$line" in *${c.member.peerURL}*) echo "peer URL ok";`,
          sh`*) ${c.tools.etcdctl(sh`member update "$id" --peer-urls=${c.member.peerURL}`)};; esac`,
        ],
        '; ',
      ),
    },
  ],
  verify: (c) => healthy(c, 120_000),
  timeoutMs: 240_000,
});

/** Every API server's --etcd-servers set to these members' client URLs. */
export const repointApiservers = (o: {
  id: string;
  title: string;
  targets: Targets;
  urls: (c: HostCtx) => string[];
}): StepDef => ({
  id: o.id,
  title: o.title,
  targets: o.targets,
  actions: (c) => [{ kind: 'sh', script: c.platform.setEtcdServers(c.member, c.stamp, o.urls(c)) }],
});

export const noForceFlagLeft = (targets: Targets): StepDef => ({
  id: 'no-force-flag',
  title: 'No --force-new-cluster flag or drop-in left on any member',
  targets,
  actions: (c) => [{ kind: 'sh', script: c.platform.noForceNewCluster(c.member) }],
  hint: 'remove the temporary flag by hand (move the drop-in aside), or resume to retry',
});
