// Steps that give etcd its space back (etcd's maintenance guide): compact, defragment one member at a time, disarm.
import type { HostCtx, PlanCtx, StepDef, Targets, Verify } from '../engine/types.js';
import { sh, type Script } from '../shell/sh.js';
import { allEndpoints } from './cluster.js';
import { serial } from './data.js';
import { metricsScript } from '../etcd/storage.js';

/** This member's `endpoint status -w json` field (dbSize, revision), read through its own client URL. */
const statusField = (c: HostCtx, field: string) =>
  sh.join(
    [
      sh`${c.tools.etcdctl(sh`endpoint status -w json --command-timeout=10s`)}`,
      sh`grep -o ${`"${field}":[0-9]*`} | head -n1 | cut -d: -f2`,
    ],
    ' | ',
  );

/**
 * Every member answers `endpoint health`, between two members' turns. Until the alarm is disarmed, etcd 3.5 reports
 * each member "unhealthy: ... Active Alarm(s): NOSPACE"; with `nospaceOk` that one answer counts as up.
 */
export const clusterHealthy = (c: HostCtx, nospaceOk = false, waitMs = 120_000): Verify<Script> => {
  const n = c.inventory.members.length;
  const health = c.tools.etcdctl(sh`--command-timeout=5s endpoint health`, allEndpoints(c));
  return {
    script: nospaceOk
      ? sh.lines(
          sh`out=$(${health} 2>&1); echo "$out"`,
          sh.join(
            [
              sh`ok=$(echo "$out" | grep -cE ' is healthy|is unhealthy: failed to commit proposal:`,
              sh`Active Alarm[(]s[)]: NOSPACE( NOSPACE)* *$')`,
            ],
            ' ',
          ),
          sh`[ "$ok" = ${n} ]`,
        )
      : health,
    waitMs,
    intervalMs: 500,
  };
};

/** Compaction to the revision read when the command runs; a revision already compacted counts as done. */
export const compactStep = (targets: Targets): StepDef => ({
  id: 'compact',
  title: 'Compact the key history up to the current revision (--physical: wait until it is applied)',
  targets,
  destructive: true,
  changes: 'old revisions of every key are dropped (watchers and reads of older revisions get "compacted")',
  actions: (c) => [
    {
      kind: 'sh',
      script: sh.lines(
        serial(c),
        sh`rev=$(${statusField(c, 'revision')})`,
        sh`[ -n "$rev" ] || { echo "endpoint status gave no revision" >&2; exit 1; }`,
        sh`if out=$(${c.tools.etcdctl(sh`--command-timeout=300s compact "$rev" --physical`)} 2>&1); then echo "$out"`,
        sh.join(
          [
            sh`else case "$out" in *"required revision has been compacted"*) echo "already compacted up`,
            sh`to $rev";; *) echo "$out" >&2; exit 1;; esac; fi`,
          ],
          ' ',
        ),
      ),
    },
  ],
  timeoutMs: 360_000,
  hint: 'compaction failed; read the error (a member may be down: every member must apply it)',
});

/**
 * Defragments this member alone (it blocks reads and writes on it meanwhile). When it is the leader when its turn
 * comes, leadership moves to another started voting member first, so the cluster keeps a leader that answers.
 */
export const defragStep = (targets: Targets, o: { nospaceOk?: boolean } = {}, id = 'defrag'): StepDef => ({
  id,
  title:
    'Defragment one member at a time (leadership moved off it first when it leads), the whole ' +
    'cluster healthy before the next',
  targets,
  destructive: true,
  changes:
    'this member stops answering while its db file is rewritten (seconds to minutes, by size); the others keep serving',
  actions: (c) => [
    {
      kind: 'sh',
      script: sh.lines(
        serial(c),
        sh.join(
          [
            sh`st=$(${c.tools.etcdctl(sh`endpoint status -w simple --command-timeout=10s`)}`,
            sh`awk -F', ' '{print $2" "$5}')`,
          ],
          ' | ',
        ),
        sh`id=\${st% *}; lead=\${st#* }`,
        sh`[ -n "$id" ] || { echo "endpoint status gave no member ID" >&2; exit 1; }`,
        sh`if [ "$lead" = true ]; then`,
        sh.join(
          [
            sh`  to=$(${c.tools.etcdctl(sh`member list -w simple`, allEndpoints(c))}`,
            sh`awk -F', ' -v "me=$id" '$1!=me && $2=="started" && $6=="false" {print $1; exit}')`,
          ],
          ' | ',
        ),
        sh`  [ -n "$to" ] || { echo "no other started voting member to hand leadership to" >&2; exit 1; }`,
        sh`  ${c.tools.etcdctl(sh`--command-timeout=30s move-leader "$to"`)}`,
        sh.join(
          [
            sh`  i=0; while ${c.tools.etcdctl(sh`endpoint status -w simple --command-timeout=5s`)}`,
            sh`awk -F', ' '{print $5}' | grep -qx true; do`,
          ],
          ' | ',
        ),
        sh`    i=$((i+1)); [ $i -ge 60 ] && { echo "still the leader 30 s after move-leader" >&2; exit 1; }; sleep 0.5`,
        sh`  done`,
        sh`fi`,
        sh`before=$(${statusField(c, 'dbSize')})`,
        // A long timeout and no retry: etcdctl gives up at its timeout while the member goes on defragmenting.
        sh`${c.tools.etcdctl(sh`--command-timeout=600s defrag`)}`,
        sh`after=$(${statusField(c, 'dbSize')})`,
        sh`echo ${`${c.member.name}:`} "db size $before -> $after bytes"`,
      ),
    },
  ],
  verify: (c) => clusterHealthy(c, o.nospaceOk),
  timeoutMs: 720_000,
  retries: 0,
  hint: "the member did not come back healthy after defragmenting; see its etcd log ('lifeboat lab exec' in the lab)",
});

/** `alarm disarm` clears every alarm, so the runbook refuses beforehand when one other than NOSPACE is raised. */
export const disarmStep = (targets: Targets): StepDef => ({
  id: 'disarm',
  title: 'Disarm the NOSPACE alarm (the cluster takes writes again)',
  targets,
  actions: (c) => [
    {
      kind: 'sh',
      script: sh.lines(
        sh.join(
          [
            sh`if ${c.tools.etcdctl(sh`alarm list`, allEndpoints(c))} | grep -q 'alarm:NOSPACE'`,
            sh`then ${c.tools.etcdctl(sh`alarm disarm`, allEndpoints(c))}`,
            sh`else echo "no NOSPACE alarm raised"; fi`,
          ],
          '; ',
        ),
      ),
    },
  ],
  verify: (c) => ({
    script: sh`! ${c.tools.etcdctl(sh`alarm list`, allEndpoints(c))} | grep -q 'alarm:NOSPACE'`,
    waitMs: 30_000,
    intervalMs: 500,
  }),
});

/** A put and a delete of a key of this run's own: writes succeed again, and the data is left as it was. */
export const writeCheckStep = (targets: Targets): StepDef => ({
  id: 'write',
  title: 'A write succeeds: put a key of this run, read it back, delete it',
  targets,
  actions: (c) => {
    const key = `/lifeboat/write-check/${c.runId}`;
    const eps = allEndpoints(c);
    return [
      {
        kind: 'sh',
        script: sh.lines(
          sh`set -e`,
          sh`${c.tools.etcdctl(sh`put ${key} ${c.stamp}`, eps)}`,
          sh`[ "$(${c.tools.etcdctl(sh`get ${key} --print-value-only`, eps)})" = ${c.stamp} ]`,
          sh`${c.tools.etcdctl(sh`del ${key}`, eps)} >/dev/null`,
          sh`echo "put, get and delete of ${key} succeeded"`,
        ),
      },
    ];
  },
  retries: 2,
  hint:
    "writes still fail: 'etcdctl alarm list' and the db size against --quota-backend-bytes (raise it " +
    'when live data alone fills it)',
});

/** etcd's suggested maximum --quota-backend-bytes: free-space never raises the quota above it on its own. */
export const MAX_QUOTA = 8 * 1024 ** 3;

/** The quota a run raises to (decided at plan time), and the live-data size above which it does. */
export interface QuotaPlan {
  /** The quota the members run with now (as probed). */
  quota: number;
  /** Raise only when the largest db after compaction and defragmentation (live data) is above this. */
  limit: number;
  to: number;
}

/** This member's running --quota-backend-bytes (its /metrics gauge); empty when /metrics does not answer. */
const runningQuota = (c: HostCtx) =>
  sh`{ ${metricsScript(c.member)}; } | awk '$1=="etcd_server_quota_backend_bytes" {printf "%.0f\\n", $2}'`;

/** Sets need=1 when the largest member db (after defragmenting: live data) is above the plan's limit, else need=0. */
const needRaise = (c: HostCtx, p: QuotaPlan) =>
  sh.lines(
    sh.join(
      [
        sh`big=$(${c.tools.etcdctl(sh`endpoint status -w json --command-timeout=10s`, allEndpoints(c))}`,
        sh`grep -o '"dbSize":[0-9]*' | cut -d: -f2 | sort -n | tail -n1)`,
      ],
      ' | ',
    ),
    sh`[ -n "$big" ] || { echo "endpoint status gave no db size" >&2; exit 1; }`,
    sh`if [ "$big" -gt ${String(p.limit)} ]; then need=1; else need=0; fi`,
  );

/** Exit 0 when this member needs no raise or its running etcd has the new quota (or /metrics cannot tell: no curl). */
const quotaDone = (c: HostCtx, p: QuotaPlan) =>
  sh.lines(
    needRaise(c, p),
    sh`q=$(${runningQuota(c)})`,
    sh`[ "$need" = 0 ] || [ "$q" = ${String(p.to)} ] || { [ -z "$q" ] && ! command -v curl >/dev/null 2>&1; }`,
  );

/**
 * When live data alone fills more than 80 % of the quota, compaction and defragmentation cannot keep etcd writable:
 * --quota-backend-bytes is raised through the platform (config copy kept as .before-STAMP), then etcd is restarted
 * on this member unless the edit restarted it already (static pods, docker). Its check makes a resume skip a member
 * whose running etcd has the new quota.
 */
export const raiseQuotaStep = (targets: Targets, plan: (c: PlanCtx) => QuotaPlan): StepDef => ({
  id: 'raise-quota',
  title:
    'When live data alone is above 80 % of the quota: raise --quota-backend-bytes, one member at a ' +
    'time (restart), healthy before the next',
  targets,
  destructive: true,
  changes:
    "when live data is above 80 % of the quota: this member's etcd gets a larger " +
    '--quota-backend-bytes (old config kept as .before-STAMP) and restarts with it; otherwise ' +
    'nothing is changed',
  actions: (c) => {
    const p = plan(c);
    const to = String(p.to);
    const m = c.member;
    const say = (s: string) => sh`echo ${`${m.name}: ${s}`}`;
    return [
      {
        kind: 'sh',
        script: sh.lines(
          serial(c),
          needRaise(c, p),
          sh.join(
            [
              sh`if [ "$need" = 0 ]; then echo ${`${m.name}: live data`} "$big"`,
              sh`${`bytes is under 80 % of the quota (${p.quota}): --quota-backend-bytes kept`}; exit`,
              sh`0; fi`,
            ],
            ' ',
          ),
          p.to <= p.quota
            ? sh.join(
                [
                  sh`echo`,
                  sh`${
                    `live data is above 80 % of the quota and --quota-backend-bytes=${p.quota} is already ` +
                    `etcd's suggested maximum: delete data (or pass --set quota=BYTES)`
                  }`,
                  sh`>&2; exit 1`,
                ],
                ' ',
              )
            : sh`true`,
          say(`live data above 80 % of the quota (${p.quota}): raising --quota-backend-bytes to ${to}`),
          sh`q=$(${runningQuota(c)})`,
          sh`if [ "$q" != ${to} ]; then`,
          sh`(`,
          c.platform.setEtcdFlags(m, c.stamp, { 'quota-backend-bytes': to }),
          sh`) || exit 1`,
          sh`q=$(${runningQuota(c)})`,
          sh`if [ "$q" != ${to} ]; then`,
          say('restarting etcd with the new quota'),
          sh`( ${c.platform.stopEtcd(m, c.stamp)} ) || exit 1`,
          sh`( ${c.platform.startEtcd(m, c.stamp)} ) || exit 1`,
          sh`q=$(${runningQuota(c)})`,
          sh`fi`,
          sh`fi`,
          sh`echo ${`${m.name}: etcd runs with --quota-backend-bytes=`}"\${q:-unknown (no /metrics)}"`,
        ),
      },
    ];
  },
  check: (c) => sh.lines(sh`( ${quotaDone(c, plan(c))} ) || exit 1`, clusterHealthy(c, true).script),
  verify: (c) => {
    const h = clusterHealthy(c, true);
    return { ...h, script: sh.lines(sh`( ${quotaDone(c, plan(c))} ) || exit 1`, h.script) };
  },
  timeoutMs: 300_000,
  retries: 0,
  hint:
    'etcd did not come back with the new quota; see its etcd log and the config copy kept as ' +
    ".before-STAMP ('lifeboat lab exec' in the lab)",
});
