// The full-cluster restore's own steps and decisions: one verified snapshot, every member rebuilt from it.
// runbooks/restore-single-master.ts and restore-multi-master.ts list them in order (docs/procedures.md).
import { z } from 'zod';
import { sh } from '../shell/sh.js';
import { decision, phase } from '../engine/define.js';
import type { DecisionDef, Node, PlanCtx, StepDef, Targets } from '../engine/types.js';
import { configOf, pkiFromBackupStep } from './pki.js';
import { certificatesValid, gated, snapshotNotNewer } from './gates.js';
import { movedMembers, rewriteForNewAddressStep } from './readdress.js';
import { bumpNote, remoteSnapshot, restoreStep, keyCountStep } from './data.js';

export const restoreParams = z
  .object({
    snapshot: z.string().min(1, 'the snapshot file to restore').optional(),
    /** A `lifeboat backup` folder: its snapshot, and its PKI and manifests for hosts that lack them. */
    backup: z.string().min(1).optional(),
    token: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    bumpRevision: z.string().regex(/^\d+$/).optional(),
    skipHashCheck: z.enum(['true', 'false']).optional(),
    /** A backup of another cluster restored on purpose (checked before the fetch, recorded with the params). */
    allowOtherCluster: z.enum(['true', 'false']).optional(),
  })
  .strict();

/** The snapshot being restored: --set snapshot, or the backup folder's snapshot file. */
export const snapshotOf = (c: PlanCtx) =>
  c.params.snapshot ?? Object.keys(c.files).find((f) => c.files[f]!.role === undefined) ?? '';

/** What tells the two restores apart. */
export interface RestoreOptions {
  /** The question of the first decision, which refuses what this restore cannot do. */
  question: string;
  /** The only member count this restore is for, and the runbook to use otherwise; unset: any count. */
  onlyMembers?: { count: number; otherwise: string };
}

/** Refuses a restore that cannot go well (wrong member count, no input, a backup onto the wrong hosts, a raw
 * copy without its flag); otherwise goes on with `then`, the restore's phases. */
export function restoreInputs(opts: RestoreOptions, then: Node[]): DecisionDef {
  return gated(
    [certificatesValid, snapshotNotNewer],
    decision({
      id: 'shape',
      title: opts.question,
      decide: (c) => {
        const n = c.inventory.members.length;
        if (opts.onlyMembers && n !== opts.onlyMembers.count)
          return {
            branch: 'refuse',
            why: `the inventory has ${n} members; use ${opts.onlyMembers.otherwise}`,
          };
        if (!c.params.snapshot && !c.params.backup)
          return { branch: 'refuse', why: 'give --set snapshot=FILE or --set backup=DIR' };
        const noConfig = c.inventory.members.filter((m) => !configOf(c, m.name)).map((m) => m.name);
        if (c.params.backup && c.inventory.topology !== 'static-pod')
          return {
            branch: 'refuse',
            why: 'a backup folder is restored onto static-pod hosts only; give --set snapshot=FILE',
          };
        if (c.params.backup && noConfig.length)
          return {
            branch: 'refuse',
            why: `the backup has no config archive for ${noConfig.join(', ')}: member names must match the backup's`,
          };
        const f = c.files[snapshotOf(c)];
        if (f?.raw && c.params.skipHashCheck !== 'true')
          return {
            branch: 'refuse',
            why:
              `${snapshotOf(c)} has no appended hash (a raw db copy); re-run with --set ` +
              `skipHashCheck=true if that is intended`,
          };
        const keys = f?.keys !== undefined ? `, ${f.keys} keys at revision ${f.revision}` : '';
        return {
          branch: 'go',
          why:
            `${n} member(s); snapshot ${snapshotOf(c)} sha256 ${f?.sha256.slice(0, 12) ?? '?'}…${keys}` +
            `; ${bumpNote(c, f?.revision)}`,
        };
      },
      branches: { refuse: 'refuse', go: then },
    }),
  );
}

/** Member list, endpoint status and health from the first member, whatever still answers: the state before. */
export function recordStateBefore(): StepDef {
  return {
    id: 'state',
    title: 'Record member list, endpoint status and health (whatever still answers)',
    targets: {
      kind: 'pick',
      members: (c) => [c.inventory.members[0]!.name],
      describe: 'first member',
    },
    actions: (c) => {
      const eps = c.inventory.members.map((m) => m.clientURL).join(',');
      const reads = [sh`member list -w table`, sh`endpoint status -w table`, sh`endpoint health`];
      return [
        {
          kind: 'sh',
          script: sh.lines(
            reads.map((a) => sh`${c.tools.etcdctl(sh`--command-timeout=3s ${a}`, eps)} 2>&1 || true`),
          ),
        },
      ];
    },
  };
}

/** With a backup folder, hosts that lack its etcd CA get its PKI and manifests; a snapshot alone changes none. */
export function pkiFromBackupIfGiven(): DecisionDef {
  return decision({
    id: 'pki',
    title: 'A backup folder: put its PKI and manifests on hosts that lack them?',
    decide: (c) =>
      c.params.backup
        ? {
            branch: 'backup',
            why: `backup ${c.params.backup}: hosts without its etcd CA get its PKI and manifests`,
          }
        : { branch: 'none', why: 'a snapshot alone: the hosts keep their PKI and manifests' },
    branches: {
      none: [],
      backup: [phase('pki', 'PKI and manifests from the backup', [pkiFromBackupStep()])],
    },
  });
}

/** Every member restored from the same uploaded snapshot, with the full initial cluster, revisions bumped. */
export function restoreEveryMember(targets: Targets): StepDef {
  return restoreStep({
    targets,
    snapshot: (c) => remoteSnapshot(c),
    cluster: (c) => c.inventory.members,
    bump: true,
    snapshotRevision: (c) => c.files[snapshotOf(c)]?.revision,
    skipHashCheck: (c) => c.params.skipHashCheck === 'true',
  });
}

/** Hosts that moved (inventory previousAddress): certs and flags for the new addresses before etcd starts. */
export function readdressMovedHosts(): DecisionDef {
  return decision({
    id: 'addresses',
    title: 'Did any host move to a new address?',
    decide: (c) => {
      const moved = movedMembers(c).map((m) => m.name);
      return moved.length
        ? { branch: 'moved', why: `moved (previousAddress in the inventory): ${moved.join(', ')}` }
        : { branch: 'same', why: 'no member has a previousAddress: every host kept its address' };
    },
    branches: {
      same: [],
      moved: [
        phase('readdress', 'Certificates and flags for the new addresses', [
          rewriteForNewAddressStep({
            kind: 'pick',
            members: (c) => movedMembers(c).map((m) => m.name),
            describe: 'each member with a previousAddress',
          }),
        ]),
      ],
    },
  });
}

/** The restored keys (and API server leases) against the snapshot's count. */
export function snapshotKeyCount(): StepDef {
  return keyCountStep(
    (c) => c.files[snapshotOf(c)]?.keys,
    (c) => c.files[snapshotOf(c)]?.leases ?? 0,
  );
}
