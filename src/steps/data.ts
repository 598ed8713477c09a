// Steps that stop, move aside, restore and start etcd: shared by the restore and quorum runbooks.
import { dirname } from 'node:path';
import { initialCluster, type ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
import type { HostCtx, PlanCtx, StepDef, Targets } from '../engine/types.js';
import { hostLockDir } from '../engine/record/clusterlock.js';
import { makeTools, NOT_BUMPED } from '../etcd/tools.js';
import { healthy } from './cluster.js';

export const aside = (c: HostCtx) => `${c.member.dataDir}.before-${c.stamp}`;
export const remoteSnapshot = (c: HostCtx, name = 'restore') =>
  `${c.member.backupDir}/lifeboat-${name}-${c.stamp}.db`;
export const newToken = (c: PlanCtx) => c.params.token ?? `lifeboat-${c.stamp.toLowerCase()}`;

/**
 * etcd's and Kubernetes' restore guides bump by 1e9: far beyond what a cluster writes between a backup
 * and a restore.
 */
export const DEFAULT_BUMP = 1_000_000_000;

/** The revision bump of a restore and how it was chosen, for the plan (highest revision seen in the facts). */
export function revisionBump(c: PlanCtx, snapshotRevision?: number): { n: number; why: string } {
  const given = c.params.bumpRevision;
  if (given !== undefined) return { n: Number(given), why: `bump ${given} (--set bumpRevision)` };
  const seen = Math.max(0, ...Object.values(c.facts.members).map((f) => f.status?.revision ?? 0));
  const written =
    seen > 0 && snapshotRevision !== undefined ? Math.max(0, seen - snapshotRevision) : undefined;
  // Past what was written since the snapshot by half the default: linear, so restoring one snapshot again and again
  // (each bump counts as written) never nears 2^53 (doubling did, after ~23 restores: the crash sweep found it).
  const margin = DEFAULT_BUMP / 2;
  const n = written !== undefined && written + margin > DEFAULT_BUMP ? written + margin : DEFAULT_BUMP;
  const base =
    n === DEFAULT_BUMP
      ? `the etcd and Kubernetes restore guides' ${DEFAULT_BUMP}`
      : `the ${written} revisions written after the snapshot + ${margin}`;
  const since =
    written === undefined
      ? 'no live revision was read (plan --probe reads it)'
      : `highest revision seen ${seen}, snapshot at ${snapshotRevision}: ${written} written after it`;
  return { n, why: `bump ${n} = ${base} (${since}); --set bumpRevision=N to choose` };
}

/** The plan's line on revisions after a restore: bumped and compacted (etcdutl 3.5+), else what to restart. */
export function bumpNote(c: PlanCtx, snapshotRevision?: number): string {
  const old = c.inventory.members
    .filter((m) => !makeTools(m, c.facts.members[m.name]).bumps)
    .map((m) => m.name);
  if (old.length) return `revision NOT bumped on ${old.join(', ')} (no etcdutl 3.5+): ${NOT_BUMPED}`;
  const b = revisionBump(c, snapshotRevision);
  return (
    `revision bumped and marked compacted, so every watcher gets "compacted" and relists instead of ` +
    `seeing revisions go backwards: ${b.why}`
  );
}

/**
 * Serialises this run's scripts on one host: after a crash of the operator machine, a command may still be
 * running on the host when the resumed run starts it again; the second waits for the first, then sees its result.
 * Only for scripts that start no daemon (a daemon would inherit the lock).
 */
export const serial = (c: PlanCtx & { member: ResolvedMember }) => {
  const dir = hostLockDir(c.member.backupDir, c.runId);
  // The lock lives in a 0700 folder of the user running the scripts, not in world-writable /tmp (anyone could hold it).
  return sh`
    mkdir -p ${c.member.backupDir} && { mkdir -m 0700 ${dir} 2>/dev/null || true; }
    if [ -L ${dir} ] || [ ! -d ${dir} ] || [ ! -O ${dir} ]; then
      echo ${`${dir} is not a folder of this user: move it aside, then resume`} >&2; exit 1
    fi
    exec 9>>${`${dir}/${c.member.name}.lock`}
    if command -v flock >/dev/null 2>&1; then
      flock -w 900 9 || { echo "another lifeboat command of this run still holds the host lock" >&2; exit 1; }
    fi`;
};

/** The user etcd runs as: detected on the host, else what the platform runs it as by default. */
export function etcdUser(c: HostCtx): string {
  const seen = c.facts.members[c.member.name]?.etcdUser;
  if (seen) return seen;
  const guess = c.inventory.topology === 'systemd' ? 'etcd' : 'root';
  c.warn(
    `the user etcd runs as on ${c.member.name} was not detected (plan without --probe?); assuming ${guess}`,
  );
  return guess;
}

export function uploadSnapshot(targets: Targets, local: (c: PlanCtx) => string, name = 'restore'): StepDef {
  return {
    id: 'distribute',
    title: 'Copy the one verified snapshot to every host; sha256 checked on each',
    targets,
    actions: (c) => [{ kind: 'upload', from: local(c), to: remoteSnapshot(c, name), mode: 0o600 }],
    check: (c) =>
      sh`echo ${`${c.files[local(c)]?.sha256 ?? 'unknown'}  ${remoteSnapshot(c, name)}`} | sha256sum -c --status`,
    timeoutMs: 1_800_000,
    retries: 1,
    hint: 'check free space in the backup dir on the host',
  };
}

export const stopApiservers = (targets: Targets): StepDef => ({
  id: 'stop-apiservers',
  title: 'Stop kube-apiserver (so nothing writes while etcd is rebuilt)',
  targets,
  destructive: true,
  changes: 'the Kubernetes API goes down on these hosts until the runbook starts it again',
  actions: (c) => [{ kind: 'sh', script: c.platform.stopApiserver(c.member, c.stamp) }],
  check: (c) => c.platform.apiserverStopped(c.member, c.stamp),
  timeoutMs: 120_000,
});

/**
 * Members with the leader last: a leader stopped after its followers has nobody to hand over to, so it
 * exits at once.
 */
export function leaderLast(c: PlanCtx): string[] {
  const names = c.inventory.members.map((m) => m.name);
  const ids = new Map(
    Object.entries(c.facts.members).flatMap(([n, f]) => (f.status ? [[f.status.memberId, n] as const] : [])),
  );
  const leaders = new Set(
    Object.values(c.facts.members).flatMap((f) =>
      f.status && f.status.leader !== '0' ? [ids.get(f.status.leader)] : [],
    ),
  );
  return [...names.filter((n) => !leaders.has(n)), ...names.filter((n) => leaders.has(n))];
}

export const followersThenLeader: Targets = {
  kind: 'pick',
  members: leaderLast,
  describe: 'each member in turn, the leader last',
};

export const stopEtcd = (targets: Targets): StepDef => ({
  id: 'stop-etcd',
  title: 'Stop etcd',
  targets,
  destructive: true,
  changes: 'etcd stops on these hosts',
  actions: (c) => [{ kind: 'sh', script: c.platform.stopEtcd(c.member, c.stamp) }],
  check: (c) => c.platform.etcdStopped(c.member, c.stamp),
  timeoutMs: 120_000,
  hint: 'etcd did not stop; look at the process on the host',
});

/**
 * Where the old data goes: DATA.before-STAMP, or DATA/member.before-STAMP when DATA is a mount point (a
 * disk or bind mount).
 */
export const asideInside = (c: HostCtx) => `${c.member.dataDir}/member.before-${c.stamp}`;
export const asideCheck = (c: HostCtx) => sh`{ [ -e ${aside(c)} ] || [ -e ${asideInside(c)} ]; }`;

/**
 * Moves old data aside, never deletes it; a host with no data still gets the aside dir, so the check
 * means one thing.
 */
export function moveAsideScript(c: HostCtx): Script {
  return sh.lines(
    sh`set -e`,
    serial(c),
    sh`d=${c.member.dataDir}; a=${aside(c)}; am=${asideInside(c)}`,
    sh`if [ -e "$a" ] || [ -e "$am" ]; then echo "already moved aside"`,
    sh.join(
      [
        sh`elif mountpoint -q "$d"; then if [ -e "$d/member" ]; then mv "$d/member" "$am"`,
        sh`else mkdir -p "$am"; fi; echo "old data at $am"`,
      ],
      '; ',
    ),
    sh`elif [ -e "$d" ]; then mv "$d" "$a"; echo "old data at $a"`,
    sh`else mkdir -p "$a"; echo "no data dir; marked $a"; fi`,
  );
}

export const moveAside = (targets: Targets): StepDef => ({
  id: 'move-aside',
  title: 'Move the data dir aside with a timestamp (never deleted)',
  targets,
  destructive: true,
  changes:
    'the data dir is renamed to DATA_DIR.before-STAMP (or member/ to member.before-STAMP on a mount point)',
  actions: (c) => [{ kind: 'sh', script: moveAsideScript(c) }],
  check: asideCheck,
});

/** Restores into a fresh dir, then moves it into place: a crash leaves either nothing or a whole data dir. */
export function restoreStep(o: {
  targets: Targets;
  snapshot: (c: HostCtx) => string;
  cluster: (c: HostCtx) => ResolvedMember[];
  bump: boolean;
  /** The snapshot's revision (from the local file), from which the default bump is derived. */
  snapshotRevision?: (c: PlanCtx) => number | undefined;
  skipHashCheck: (c: HostCtx) => boolean | 'detect';
}): StepDef {
  return {
    id: 'restore',
    title:
      "Restore the snapshot with this member's name, the full initial cluster, a NEW token and its peer URL",
    targets: o.targets,
    destructive: true,
    changes: 'writes a new data dir from the snapshot; the cluster gets a new identity (token)',
    actions: (c) => {
      const snap = o.snapshot(c);
      const skip = o.skipHashCheck(c);
      const base = {
        snapshot: snap,
        dataDir: sh.raw('"$t"'),
        name: c.member.name,
        initialCluster: initialCluster(o.cluster(c)),
        token: newToken(c),
        peerURL: c.member.peerURL,
        ...(o.bump ? { bumpRevision: revisionBump(c, o.snapshotRevision?.(c)).n } : {}),
      };
      const withHash = c.tools.restore({ ...base, skipHashCheck: skip === true });
      for (const w of withHash.warnings) c.warn(w);
      const restore =
        skip === 'detect'
          ? // A raw copy of member/snap/db has no appended hash: restore it with --skip-hash-check (said
            // in the output).
            sh.join(
              [
                sh`if [ -e ${`${snap}.raw`} ]`,
                sh`then echo "raw db copy: restoring with --skip-hash-check"`,
                sh`${c.tools.restore({ ...base, skipHashCheck: true }).script}; else ${withHash.script}`,
                sh`fi`,
              ],
              '; ',
            )
          : withHash.script;
      return [
        {
          kind: 'sh',
          script: sh.lines(
            sh`set -e`,
            serial(c),
            sh`d=${c.member.dataDir}`,
            // The old data was moved aside earlier in this run, so a member/ here is this run's restore (finished by a
            // command that outlived a crashed operator machine); without the aside dir it is someone else's data.
            sh.join(
              [
                sh`if [ -d "$d/member" ]; then if ${asideCheck(c)}`,
                sh`then echo "$d/member already restored by this run"; exit 0; fi`,
                sh`echo "$d already holds a data dir; not restoring over it" >&2; exit 1; fi`,
              ],
              '; ',
            ),
            // On a mount point, restore inside it so the final move stays on one filesystem.
            sh`if mountpoint -q "$d"; then t="$d/lifeboat-restoring-"${c.stamp}; else t="$d.restoring-"${c.stamp}; fi`,
            sh`if [ -e "$t" ]; then mv "$t" "$t.partial-$(date +%s)"; fi`,
            restore,
            sh`if mountpoint -q "$d"; then mv "$t/member" "$d/member" && rmdir "$t"; else mv "$t" "$d"; fi`,
            sh`echo "restored into $d"`,
          ),
        },
      ];
    },
    check: (c) => sh`[ -d ${`${c.member.dataDir}/member/snap`} ] && ${asideCheck(c)}`,
    timeoutMs: 600_000,
    hint: 'read the restore error; the old data dir was moved aside and can be moved back',
  };
}

export const fixOwnership = (targets: Targets): StepDef => ({
  id: 'ownership',
  title: 'Data dir owned by the user etcd runs as (detected), mode 0700',
  targets,
  actions: (c) => {
    const u = etcdUser(c);
    return [
      {
        kind: 'sh',
        script: sh.join(
          [
            sh`chown -R ${u}:"$(id -gn ${u})" ${c.member.dataDir} && chmod 700 ${c.member.dataDir}`,
            sh`stat -c '%U %a %n' ${c.member.dataDir}`,
          ],
          ' && ',
        ),
      },
    ];
  },
});

export const startEtcd = (targets: Targets, id = 'start-etcd'): StepDef => ({
  id,
  title: 'Start etcd and wait for it to answer',
  targets,
  actions: (c) => [{ kind: 'sh', script: c.platform.startEtcd(c.member, c.stamp) }],
  verify: (c) => healthy(c, 120_000),
  timeoutMs: 180_000,
  hint: "etcd did not become healthy: read its log on the host ('lifeboat lab exec' in the lab)",
});

export const startApiservers = (targets: Targets): StepDef => ({
  id: 'start-apiservers',
  title: 'Start kube-apiserver again (fresh watch caches)',
  targets,
  actions: (c) => [{ kind: 'sh', script: c.platform.startApiserver(c.member, c.stamp) }],
  timeoutMs: 120_000,
});

/** The control-plane components besides the API server; their caches hold revisions too. */
export const CONTROLLERS = ['kube-controller-manager', 'kube-scheduler'] as const;

/** kubeadm: move the static pod's manifest out until crictl shows no container, back in until a new one runs. */
function restartStaticPod(c: HostCtx, name: string): Script {
  const dir = dirname(c.member.apiserverManifest);
  const park = `${dirname(dir)}/manifests-stopped-by-lifeboat`;
  const [f, p] = [`${dir}/${name}.yaml`, `${park}/${name}.yaml`];
  const ids = sh`crictl ps --name ${`^${name}$`} -q 2>/dev/null | head -n1`;
  const gone = `${name} still running 60s after its manifest was moved out`;
  const back = `${name} not started again within 120s`;
  return sh.lines(
    sh`old=$(${ids})`,
    // Not running (e.g. new machines whose kubelet cannot start it yet): it caches nothing; the kubelet starts it.
    sh.join(
      [
        sh`if [ -z "$old" ] && [ -f ${f} ]`,
        sh`then echo ${`${name} is not running: nothing cached to drop, left to the kubelet`};`,
      ],
      '; ',
    ),
    sh`elif [ -f ${f} ] || [ -f ${p} ]; then`,
    sh`  if [ -f ${f} ]; then mkdir -p ${park} && mv ${f} ${p}; fi`,
    sh.join(
      [
        sh`  i=0; while [ -n "$(${ids})" ]; do i=$((i+1)); [ $i -ge 600 ] && { echo ${gone} >&2; exit 1`,
        sh`}; sleep 0.1; done`,
      ],
      '; ',
    ),
    sh`  mv ${p} ${f}`,
    sh.join(
      [
        sh`  i=0; until n=$(${ids}); [ -n "$n" ] && [ "$n" != "$old" ]; do i=$((i+1))`,
        sh`[ $i -ge 1200 ] && { echo ${back} >&2; exit 1; }; sleep 0.1; done`,
      ],
      '; ',
    ),
    sh`  echo ${`${name} restarted (container $n)`}`,
    sh`else echo ${`no ${name} manifest on this host`}; fi`,
  );
}

function restartController(c: HostCtx, name: string): Script {
  switch (c.inventory.topology) {
    case 'static-pod':
      return restartStaticPod(c, name);
    case 'docker':
      return sh.join(
        [
          sh`if docker inspect ${name} >/dev/null 2>&1`,
          sh`then docker restart ${name} >/dev/null && echo ${`${name} restarted`}`,
          sh`else echo ${`no ${name} container on this host`}; fi`,
        ],
        '; ',
      );
    default:
      // systemd hosts and k3s (which runs them inside the k3s unit the API server step already restarted).
      return sh.join(
        [
          sh`if systemctl cat ${`${name}.service`} >/dev/null 2>&1`,
          sh`then systemctl restart ${name} && echo ${`${name} restarted`}`,
          sh`else echo ${`no ${name} unit on this host`}; fi`,
        ],
        '; ',
      );
  }
}

/** After etcd and the API servers are back: their watch caches still hold the revisions from before. */
export const restartControllers = (targets: Targets): StepDef => ({
  id: 'restart-controllers',
  title: 'Restart kube-controller-manager and kube-scheduler (their caches hold revisions from before)',
  targets,
  actions: (c) => [
    { kind: 'sh', script: sh.lines(sh`set -e`, ...CONTROLLERS.map((n) => restartController(c, n))) },
  ],
  timeoutMs: 400_000,
  hint: 'a component that does not come back: look at its manifest or unit and the kubelet log',
});

/**
 * Live key count through this member equals the snapshot's (read at plan time from the file itself), API server leases
 * (/registry/masterleases/) left out on both sides: the API servers started again rewrite them for their own addresses.
 */
export function keyCountStep(
  expected: (c: PlanCtx) => number | undefined,
  leases: (c: PlanCtx) => number = () => 0,
): StepDef {
  return {
    id: 'key-count',
    title: "Key count equals the snapshot's (API server leases aside)",
    // Read-only, so every member answers at once.
    targets: { kind: 'all' },
    actions: (c) => {
      const all = expected(c);
      const want = all === undefined ? undefined : all - leases(c);
      // --limit=1 keeps the answer small; etcd still reports the total count of matching keys.
      const n = (range: Script) =>
        sh.join(
          [
            sh`${c.tools.etcdctl(sh`get ${range} --keys-only --limit=1 --consistency=s -w json`)}`,
            sh`grep -o '"count":[0-9]*' | cut -d: -f2`,
          ],
          ' | ',
        );
      const count = sh.join(
        [
          sh`a=$(${n(sh`"" --prefix`)}); l=$(${n(sh`/registry/masterleases/ --prefix`)})`,
          sh`echo $(( \${a:-0} - \${l:-0} ))`,
        ],
        '; ',
      );
      return [
        {
          kind: 'sh',
          script:
            want === undefined
              ? sh`n=$(${count}); echo "keys: \${n:-0}"`
              : sh`n=$(${count}); n=\${n:-0}; echo "keys: $n (snapshot: ${want})"; [ "$n" = ${want} ]`,
        },
      ];
    },
    retries: 3,
    hint: 'the member does not hold what the snapshot holds; compare with lifeboat diagnose',
  };
}
