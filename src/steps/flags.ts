// etcd's --experimental-* flags replaced by their successors (src/etcd/experimental.ts), the platform's way.
import type { PlanCtx, StepDef, Targets } from '../engine/types.js';
import { migrateExperimental } from '../etcd/experimental.js';
import { sh } from '../shell/sh.js';
import { healthy } from './cluster.js';

/** The members (of `names`) whose probed configuration carries --experimental-* flags. */
export const withExperimentalFlags = (c: PlanCtx, names: string[]): string[] =>
  names.filter((n) => (c.facts.members[n]?.experimentalFlags ?? []).length > 0);

/** On one member at a time: etcd stopped, each flag replaced (the original kept), etcd started and healthy. */
export const migrateFlagsStep = (targets: Targets): StepDef => ({
  id: 'migrate-flags',
  title: 'Stop etcd, replace its --experimental-* flags with their successors, start it again',
  targets,
  destructive: true,
  changes: 'etcd restarts on each member in turn with its --experimental-* flags replaced (originals kept)',
  actions: (c) => {
    const facts = c.facts.members[c.member.name];
    const m = migrateExperimental(facts?.experimentalFlags ?? [], facts?.featureGates);
    return [
      { kind: 'sh', script: c.platform.stopEtcd(c.member, c.stamp) },
      {
        kind: 'sh',
        script: sh.lines(
          ...m.lines.map((l) => sh`echo ${l}`),
          c.platform.setEtcdFlags(c.member, c.stamp, m.edits),
        ),
      },
      { kind: 'sh', script: c.platform.startEtcd(c.member, c.stamp) },
    ];
  },
  verify: (c) => healthy(c, 120_000),
  timeoutMs: 300_000,
  hint:
    'etcd did not become healthy with the new flags: read its log on the host; ' +
    'the original configuration is kept beside it',
});
