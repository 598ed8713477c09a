// The full-cluster restore (PROCEDURES §3 and §4): one verified snapshot, every member rebuilt from it.
import { z } from 'zod';
import { sh } from '../shell/sh.js';
import { decision, phase } from '../engine/define.js';
import type { Node, PlanCtx } from '../engine/types.js';
import { verifyClusterStep } from './cluster.js';
import { staleLeasesStep } from './leases.js';
import { configOf, pkiFromBackupStep } from './pki.js';
import { movedMembers, rewriteForNewAddressStep } from './readdress.js';
import {
  bumpNote,
  fixOwnership,
  followersThenLeader,
  keyCountStep,
  moveAside,
  remoteSnapshot,
  restartControllers,
  restoreStep,
  startApiservers,
  startEtcd,
  stopApiservers,
  stopEtcd,
  uploadSnapshot,
} from './data.js';

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
  })
  .strict();

const snapshotOf = (c: PlanCtx) =>
  c.params.snapshot ?? Object.keys(c.files).find((f) => c.files[f]!.role === undefined) ?? '';

export function restoreNodes(kind: 'single' | 'multi'): Node[] {
  const all = { kind: 'all' as const };
  return [
    decision({
      id: 'shape',
      title: kind === 'single' ? 'One control-plane member?' : 'More than one member?',
      decide: (c) => {
        const n = c.inventory.members.length;
        if (kind === 'single' && n !== 1)
          return { branch: 'refuse', why: `the inventory has ${n} members; use restore-multi-master` };
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
            why: `${snapshotOf(c)} has no appended hash (a raw db copy); re-run with --set skipHashCheck=true if that is intended`,
          };
        return {
          branch: 'go',
          why: `${n} member(s); snapshot ${snapshotOf(c)} sha256 ${f?.sha256.slice(0, 12) ?? '?'}…${f?.keys !== undefined ? `, ${f.keys} keys at revision ${f.revision}` : ''}; ${bumpNote(c, f?.revision)}`,
        };
      },
      branches: {
        refuse: 'refuse',
        go: [
          phase('record', 'Record the state before', [
            {
              id: 'state',
              title: 'Record member list, endpoint status and health (whatever still answers)',
              targets: {
                kind: 'pick',
                members: (c) => [c.inventory.members[0]!.name],
                describe: 'first member',
              },
              actions: (c) => {
                const eps = c.inventory.members.map((m) => m.clientURL).join(',');
                return [
                  {
                    kind: 'sh',
                    script: sh.lines(
                      [sh`member list -w table`, sh`endpoint status -w table`, sh`endpoint health`].map(
                        (a) => sh`${c.tools.etcdctl(sh`--command-timeout=3s ${a}`, eps)} 2>&1 || true`,
                      ),
                    ),
                  },
                ];
              },
            },
          ]),
          phase('distribute', 'Distribute the snapshot', [uploadSnapshot(all, snapshotOf)]),
          phase('stop', 'Stop the API servers and etcd everywhere before any restore', [
            stopApiservers(all),
            stopEtcd(followersThenLeader),
          ]),
          decision({
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
          }),
          phase('restore', 'Restore every member from the same snapshot', [
            moveAside(all),
            restoreStep({
              targets: all,
              snapshot: (c) => remoteSnapshot(c),
              cluster: (c) => c.inventory.members,
              bump: true,
              snapshotRevision: (c) => c.files[snapshotOf(c)]?.revision,
              skipHashCheck: (c) => c.params.skipHashCheck === 'true',
            }),
            fixOwnership(all),
          ]),
          // Hosts that moved (inventory previousAddress): certs and flags for the new addresses before etcd starts.
          decision({
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
          }),
          phase('start', 'Start etcd, then the API servers, then what caches revisions', [
            startEtcd(all),
            startApiservers(all),
            restartControllers(all),
          ]),
          phase('verify', 'Verify the restored cluster', [
            verifyClusterStep(),
            keyCountStep(
              (c) => c.files[snapshotOf(c)]?.keys,
              (c) => c.files[snapshotOf(c)]?.leases ?? 0,
            ),
            staleLeasesStep(),
          ]),
        ],
      },
    }),
  ];
}
