// Every runbook x topology x tool mode as plans, without a lab: the matrix the sh -n and taint tests walk.
import type { Facts, MemberFacts } from '../../src/etcd/facts.js';
import { plan, stepsOf, type Plan } from '../../src/engine/plan.js';
import type { PlanCtx, RunbookDef } from '../../src/engine/types.js';
import { InventorySchema, TOPOLOGIES, type Topology } from '../../src/inventory/schema.js';
import { resolveInventory } from '../../src/inventory/resolve.js';
import backup from '../../runbooks/backup.js';
import recoverQuorum from '../../runbooks/recover-quorum.js';
import replaceMember from '../../runbooks/replace-member.js';
import readdress from '../../runbooks/readdress.js';
import restoreMulti from '../../runbooks/restore-multi-master.js';
import restoreSingle from '../../runbooks/restore-single-master.js';
import freeSpace from '../../runbooks/free-space.js';
import defrag from '../../runbooks/defrag.js';
import renewCerts from '../../runbooks/renew-certs.js';
import migrateFlags from '../../runbooks/migrate-flags.js';

export const TOOL_MODES = ['host', 'crictl-exec', 'docker-exec', 'docker-run'] as const;
export type ToolMode = (typeof TOOL_MODES)[number];

/** Facts a probe would find for one tool mode; `v` overrides values read back from the host. */
export function toolFacts(
  mode: ToolMode,
  v: Partial<Record<'version' | 'user' | 'cid' | 'image', string>> = {},
) {
  const version = v.version ?? '3.5.21';
  const base = { etcdVersion: version, etcdUser: v.user ?? 'etcd' };
  const image = v.image ?? `registry.k8s.io/etcd:${version}-0`;
  switch (mode) {
    case 'host':
      return {
        ...base,
        etcdctl: '/usr/bin/etcdctl',
        etcdctlVersion: version,
        etcdutl: '/usr/bin/etcdutl',
        etcdutlVersion: version,
      };
    case 'crictl-exec':
      return {
        ...base,
        containers: {
          crictlEtcd: v.cid ?? 'abc123',
          docker: true,
          image,
          etcdctlVersion: version,
          etcdutlVersion: version,
        },
      };
    case 'docker-exec':
      return { ...base, containers: { docker: true, dockerEtcd: true, image, etcdctlVersion: version } };
    case 'docker-run':
      return { ...base, containers: { docker: true, image } };
  }
}

export interface Case {
  axes: CaseAxes;
  name: string;
  runbook: RunbookDef;
  ctx: PlanCtx;
}

/** An inventory document of n members: `over` adds fields to the top level and each member. */
export function inventoryDoc(
  topology: Topology,
  n: number,
  over: { top?: object; member?: (i: number) => object } = {},
) {
  return {
    apiVersion: 'lifeboat/v1',
    cluster: 'unit',
    topology,
    ...over.top,
    members: Array.from({ length: n }, (_, i) => ({
      name: `cp-${i + 1}`,
      address: `10.0.0.${i + 11}`,
      ...over.member?.(i),
    })),
  };
}

const healthy = (i: number): Partial<MemberFacts> => ({
  healthy: true,
  status: {
    memberId: (i + 1).toString(16),
    leader: '1',
    raftIndex: 50 + i,
    raftTerm: 2,
    revision: 10,
    dbSize: 1,
    version: '3.5.21',
    isLearner: false,
  },
});

/** Each runbook on each branch that runs steps, with its params and which members answer. */
const SCENARIOS: Array<{
  runbook: RunbookDef;
  n: number;
  params: Record<string, string>;
  member: (i: number) => Partial<MemberFacts>;
  /** Inventory fields of member i (readdress: where it was). */
  inv?: (i: number) => object;
}> = [
  { runbook: backup, n: 3, params: { to: '/tmp/lifeboat-unit-backups', keep: '2' }, member: healthy },
  { runbook: restoreSingle, n: 1, params: { snapshot: '/snap.db' }, member: healthy },
  { runbook: restoreMulti, n: 3, params: { snapshot: '/snap.db' }, member: healthy },
  {
    runbook: recoverQuorum,
    n: 3,
    params: { strategy: 'snapshot' },
    member: (i) => (i === 0 ? { ...healthy(0), healthy: false } : { etcdUp: false, healthy: false }),
  },
  {
    runbook: recoverQuorum,
    n: 3,
    params: { strategy: 'force-new-cluster' },
    member: (i) => (i === 0 ? { ...healthy(0), healthy: false } : { etcdUp: false, healthy: false }),
  },
  {
    runbook: readdress,
    n: 3,
    params: {},
    member: (i) => (i === 1 ? { etcdUp: false, healthy: false } : healthy(i)),
    inv: (i) => (i === 1 ? { address: '10.0.1.22', previousAddress: '10.0.0.12' } : {}),
  },
  {
    runbook: restoreMulti,
    n: 3,
    params: { snapshot: '/snap.db' },
    member: healthy,
    inv: (i) => ({ address: `10.0.1.${i + 21}`, previousAddress: `10.0.0.${i + 11}` }),
  },
  {
    runbook: replaceMember,
    n: 3,
    params: { failed: 'cp-2' },
    member: (i) => (i === 1 ? { etcdUp: false, healthy: false } : healthy(i)),
  },
  { runbook: freeSpace, n: 3, params: { force: 'true' }, member: healthy },
  { runbook: defrag, n: 3, params: { threshold: '0' }, member: healthy },
  { runbook: renewCerts, n: 3, params: {}, member: healthy },
  {
    runbook: migrateFlags,
    n: 3,
    params: {},
    member: (i) => ({
      ...healthy(i),
      ...(i === 1
        ? {}
        : {
            etcdVersion: '3.7.4',
            experimentalFlags: [
              'experimental-initial-corrupt-check=true',
              'experimental-watch-progress-notify-interval=5s',
            ],
          }),
    }),
  },
];

export interface MatrixOptions {
  /** Inventory fields to add (top level and per member). */
  inventory?: { top?: object; member?: (i: number) => object };
  /** Params added to every scenario's own. */
  params?: Record<string, string>;
  /** Values read back from hosts. */
  readBack?: Parameters<typeof toolFacts>[1];
  stamp?: string;
  runId?: string;
  /**
   * One tool mode per scenario and topology, rotating (a Latin square): every pair of scenario, topology and tool mode
   * still meets, in a quarter of the cases.
   */
  pairwise?: boolean;
}

/** The case's place in the matrix, as the indices of its topology, tool mode and scenario. */
export interface CaseAxes {
  topology: (typeof TOPOLOGIES)[number];
  mode: (typeof TOOL_MODES)[number];
  scenario: number;
}

export function matrix(o: MatrixOptions = {}): Case[] {
  const out: Case[] = [];
  for (const [ti, topology] of TOPOLOGIES.entries())
    for (const [mi, mode] of TOOL_MODES.entries())
      for (const [si, s] of SCENARIOS.entries()) {
        if (o.pairwise && mi !== (ti + si) % TOOL_MODES.length) continue;
        const doc = InventorySchema.parse(
          inventoryDoc(topology, s.n, {
            ...(o.inventory?.top ? { top: o.inventory.top } : {}),
            member: (i) => ({ ...o.inventory?.member?.(i), ...s.inv?.(i) }),
          }),
        );
        const inventory = resolveInventory(doc, '/tmp');
        const facts: Facts = {
          probed: true,
          members: Object.fromEntries(
            inventory.members.map((m, i) => [
              m.name,
              {
                reachable: true,
                etcdUp: true,
                dataDirExists: true,
                ...toolFacts(mode, o.readBack),
                ...s.member(i),
              },
            ]),
          ),
        };
        out.push({
          axes: { topology, mode, scenario: si },
          name: `${s.runbook.id}${s.params.strategy ? `(${s.params.strategy})` : ''}${s.inv ? ' (moved)' : ''} ${topology} ${mode}`,
          runbook: s.runbook,
          ctx: {
            inventory,
            facts,
            params: { ...s.params, ...o.params },
            runId: o.runId ?? 'run-1',
            stamp: o.stamp ?? '20260101T000000Z',
            files: { '/snap.db': { sha256: 'ab'.repeat(32), bytes: 10, keys: 1051, revision: 1052 } },
          },
        });
      }
  return out;
}

/** Every script a plan would run: actions, checks, verifications, keyed by step and member. */
export function scriptsOf(p: Plan): Array<{ where: string; script: string }> {
  const out: Array<{ where: string; script: string }> = [];
  for (const s of stepsOf(p))
    for (const h of s.hosts) {
      h.actions.forEach((a, i) => {
        if (a.kind === 'sh') out.push({ where: `${s.stateId} ${h.member} action ${i}`, script: a.script });
      });
      if (h.check) out.push({ where: `${s.stateId} ${h.member} check`, script: h.check });
      if (h.verify) out.push({ where: `${s.stateId} ${h.member} verify`, script: h.verify.script });
    }
  return out;
}

export const planOf = (c: Case) => plan(c.runbook, c.ctx);
