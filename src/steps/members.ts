// Adding members back one at a time (as learner, then promoted) and removing a failed one by ID.
import { sh } from '../shell/sh.js';
import type { HostCtx, PlanCtx, StepDef, Targets } from '../engine/types.js';
import { healthy } from './cluster.js';
import { initialCluster, type ResolvedMember } from '../inventory/resolve.js';
import { etcdUser, moveAsideScript, serial } from './data.js';
import { backoff } from '../shell/wait.js';

const byName = (c: PlanCtx, names: string[]) =>
  names.map((n) => c.inventory.members.find((m) => m.name === n)!).filter(Boolean);

/** `member list -w simple` columns: ID, status, name, peer URLs, client URLs, is learner. */
/** A member's ID by name, or by peer URL: a member added but not yet started has no name in the list. */
const idOf = (c: HostCtx, eps: string, name: string) => {
  const peer = c.inventory.members.find((m) => m.name === name)?.peerURL ?? '';
  return sh.join(
    [
      sh`${c.tools.etcdctl(sh`member list -w simple`, eps)} | awk -F', ' -v ${`n=${name}`} -v`,
      sh`${`p=${peer}`} '$3==n || (p != "" && index($4, p)) {print $1; exit}'`,
    ],
    ' ',
  );
};

/**
 * Waits while the cluster answers that its version is not decided yet: a member started then exits with "incompatible
 * with current running cluster", and nothing restarts it. The leader decides within seconds of its election (just
 * after a restore or force-new-cluster); without curl, or when /version does not answer, there is nothing to wait on.
 */
export const clusterVersionDecided = (files: ResolvedMember['tls'], via: ResolvedMember | undefined) => {
  if (!via) return sh``;
  const tls = sh`--cacert ${files.ca} --cert ${files.cert} --key ${files.key}`;
  const wait = backoff(60, 'the cluster version is still not decided after 60 s', 'vw');
  return sh.lines(
    wait.start,
    sh.join(
      [
        sh`while command -v curl >/dev/null 2>&1 && curl -fsS --max-time 5 ${tls}`,
        sh`${`${via.clientURL}/version`} 2>/dev/null | grep -q '"etcdcluster":"not_decided"'; do`,
      ],
      ' ',
    ),
    sh`  ${wait.next}`,
    sh`done`,
  );
};

export interface RejoinOpts {
  targets: Targets;
  /** Members already in the cluster when `self` joins, in join order (self excluded). */
  before: (c: HostCtx) => ResolvedMember[];
}

/**
 * One member at a time: stop, move old data aside, add as learner, configure as existing, start,
 * promote, check health.
 */
export function rejoinStep(o: RejoinOpts, id = 'rejoin'): StepDef {
  return {
    id,
    title:
      'Re-add members one at a time: old data aside, member add --learner, start as existing, ' +
      'promote, healthy before the next',
    targets: o.targets,
    destructive: true,
    changes:
      "this member's old data dir is moved aside; it joins the cluster again empty and catches up from the leader",
    actions: (c) => {
      const inCluster = o.before(c);
      const eps = inCluster.map((m) => m.clientURL).join(',');
      const me = c.member;
      const u = etcdUser(c);
      const addWait = backoff(60, sh`"member add still refused after 60 s: $out"`);
      const promoteWait = backoff(120, 'learner not promoted after 120 s (still catching up?)');
      return [
        { kind: 'sh', script: c.platform.stopEtcd(me, c.stamp) },
        {
          kind: 'sh',
          script: sh.lines(
            moveAsideScript(c),
            sh`d=${me.dataDir}; mkdir -p "$d" && chown ${u}:"$(id -gn ${u})" "$d" && chmod 700 "$d"`,
          ),
        },
        {
          kind: 'sh',
          // etcd refuses a member add ("unhealthy cluster") until the leader has been connected to every voting member
          // for 5 s, e.g. just after the previous member was promoted: retry that one error, with a deadline.
          script: sh.lines(
            serial(c),
            clusterVersionDecided(me.tls, inCluster[0]),
            addWait.start,
            sh`while :; do`,
            sh`  if [ -n "$(${idOf(c, eps, me.name)})" ]; then echo ${`${me.name} is a member`}; break; fi`,
            sh.join(
              [
                sh`  if`,
                sh`out=$(${c.tools.etcdctl(sh`member add ${me.name} --peer-urls=${me.peerURL} --learner`, eps)}`,
                sh`2>&1); then echo "$out"; break; fi`,
              ],
              ' ',
            ),
            sh`  case "$out" in *"unhealthy cluster"*) ;; *) echo "$out" >&2; exit 1;; esac`,
            sh`  ${addWait.next}`,
            sh`done`,
          ),
        },
        {
          kind: 'sh',
          script: c.platform.setEtcdFlags(me, c.stamp, {
            name: me.name,
            'initial-cluster': initialCluster([...inCluster, me]),
            'initial-cluster-state': 'existing',
            'force-new-cluster': null,
          }),
        },
        { kind: 'sh', script: c.platform.startEtcd(me, c.stamp) },
        {
          kind: 'sh',
          // A learner can be promoted only once it has caught up: retry until then, with a deadline.
          script: sh.lines(
            sh`id=$(${idOf(c, eps, me.name)})`,
            sh`[ -n "$id" ] || { echo "member not in the member list" >&2; exit 1; }`,
            promoteWait.start,
            sh.join(
              [
                sh`until ${c.tools.etcdctl(sh`member list -w simple`, eps)}`,
                sh`awk -F', ' -v ${`n=${me.name}`} '$3==n && $6=="false"' | grep -q .; do`,
              ],
              ' | ',
            ),
            sh`  ${c.tools.etcdctl(sh`member promote "$id"`, eps)} 2>&1 | tail -n1`,
            sh`  ${promoteWait.next}`,
            sh`done`,
            sh`echo ${`${me.name} is a voting member`}`,
          ),
        },
      ];
    },
    check: (c) => {
      const eps = [...o.before(c), c.member].map((m) => m.clientURL).join(',');
      return sh.join(
        [
          sh`${c.tools.etcdctl(sh`member list -w simple`, eps)}`,
          sh`awk -F', ' -v ${`n=${c.member.name}`} '$3==n && $2=="started" && $6=="false"'`,
          sh`grep -q . && ${c.tools.etcdctl(sh`--command-timeout=3s endpoint health`)}`,
        ],
        ' | ',
      );
    },
    verify: (c) => healthy(c, 120_000),
    timeoutMs: 240_000,
    hint: "the member did not join; see its etcd log, and 'member list' on the cluster",
  };
}

export function removeMemberStep(failed: (c: PlanCtx) => string, through: (c: PlanCtx) => string[]): StepDef {
  return {
    id: 'remove',
    title: 'Remove the failed member by ID (not by name)',
    targets: { kind: 'pick', members: (c) => through(c).slice(0, 1), describe: 'a healthy member' },
    destructive: true,
    changes: 'the failed member leaves the cluster membership',
    actions: (c) => {
      const eps = byName(c, through(c))
        .map((m) => m.clientURL)
        .join(',');
      return [
        {
          kind: 'sh',
          script: sh.lines(
            sh`id=$(${idOf(c, eps, failed(c))})`,
            sh.join(
              [
                sh`if [ -z "$id" ]; then echo ${`${failed(c)} is not a member`}`,
                sh`else ${c.tools.etcdctl(sh`member remove "$id"`, eps)}; fi`,
              ],
              '; ',
            ),
          ),
        },
      ];
    },
    // A failed leader leaves the others electing a new one for a moment: the remove times out then; it
    // is safe to repeat.
    retries: 5,
    check: (c) => {
      const eps = byName(c, through(c))
        .map((m) => m.clientURL)
        .join(',');
      return sh`[ -z "$(${idOf(c, eps, failed(c))})" ]`;
    },
  };
}

export { byName };

/**
 * Every member's configuration names the whole cluster (initial cluster = the inventory, state existing), one member
 * at a time, healthy before the next. etcd reads these only when it bootstraps; a member left with a one-member
 * initial cluster and state new would, after losing its data dir, silently start a second cluster of its own.
 * Static pods restart when their manifest changes; the adapter waits for that restart.
 */
export function initialClusterStep(targets: Targets, id = 'initial-cluster'): StepDef {
  return {
    id,
    title:
      'Set --initial-cluster to all members and --initial-cluster-state=existing, one member at a ' +
      'time, healthy before the next',
    targets,
    actions: (c) => [
      {
        kind: 'sh',
        script: c.platform.setEtcdFlags(c.member, c.stamp, {
          'initial-cluster': initialCluster(c.inventory.members),
          'initial-cluster-state': 'existing',
        }),
      },
    ],
    verify: (c) => healthy(c, 120_000),
    timeoutMs: 180_000,
    hint: 'the member did not come back after its configuration changed; see its etcd log',
  };
}

/**
 * After the member whose data differed is removed: etcd's CORRUPT alarm (raised by its corruption check) keeps the
 * whole cluster from taking writes and fails every health check (3.5), so it is disarmed before the replacement joins.
 * `alarm disarm` clears every alarm listed; the verification wants the list empty.
 */
export function disarmCorruptStep(through: (c: PlanCtx) => string[]): StepDef {
  const eps = (c: HostCtx) =>
    byName(c, through(c))
      .map((m) => m.clientURL)
      .join(',');
  return {
    id: 'disarm-corrupt',
    title:
      'Disarm the CORRUPT alarm (the member it named is out of the cluster): writes and health checks work again',
    targets: { kind: 'pick', members: (c) => through(c).slice(0, 1), describe: 'a healthy member' },
    actions: (c) => [
      {
        kind: 'sh',
        script: sh.lines(
          sh`out=$(${c.tools.etcdctl(sh`alarm list`, eps(c))}) || exit 1; echo "$out"`,
          sh.join(
            [
              sh`if echo "$out" | grep -q 'alarm:CORRUPT'`,
              sh`then ${c.tools.etcdctl(sh`alarm disarm`, eps(c))}; else echo "no CORRUPT alarm raised"`,
              sh`fi`,
            ],
            '; ',
          ),
        ),
      },
    ],
    verify: (c) => ({
      script: sh`out=$(${c.tools.etcdctl(sh`alarm list`, eps(c))}) && [ -z "$out" ]`,
      waitMs: 30_000,
      intervalMs: 500,
    }),
    hint: "an alarm is still listed: 'etcdctl alarm list'; a member whose hashkv still differs raises CORRUPT again",
  };
}
