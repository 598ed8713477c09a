// Backup (docs/procedures.md#backup): snapshot members, check each, copy them and the config off the
// cluster, write a manifest.
import { z } from 'zod';
import { chosenMembers, defineRunbook, phase } from '../src/engine/define.js';
import type { PlanCtx } from '../src/engine/types.js';
import {
  answersHealth,
  archiveConfig,
  downloadBackup,
  saveSnapshot,
  snapshotStatus,
  writeManifest,
} from '../src/steps/backup.js';
import { publishStep, pruneIfRetained } from '../src/steps/offsite.js';
const targets = (c: PlanCtx) =>
  chosenMembers(
    c.inventory.members.map((m) => m.name),
    c.params.members,
  );
const pick = {
  kind: 'pick' as const,
  members: targets,
  describe: 'each chosen member in turn (--set members=a,b; default all)',
};

export default defineRunbook({
  id: 'backup',
  title: 'Back up etcd: snapshots, PKI and configuration, copied off the cluster',
  summary:
    'Snapshot every (or chosen) member, check each snapshot, back up certificates and manifests or ' +
    'etcd.conf, copy everything to the operator machine with sha256 checked, write a backup ' +
    'manifest; upload it to the object store (age-encrypted when configured, manifest last) and ' +
    'prune old backups when retention is set.',
  when: 'Before any change, on a schedule, and first thing in an incident when a member still answers.',
  params: z
    .object({
      to: z.string().min(1).optional(),
      endpoint: z.url().optional(),
      recipients: z.string().min(1).optional(),
      keep: z
        .string()
        .regex(/^[1-9]\d*$/)
        .optional(),
      members: z
        .string()
        .regex(/^[a-z0-9.,-]+$/)
        .optional(),
    })
    .strict(),
  nodes: [
    phase('preflight', 'Preflight', [answersHealth(pick)]),
    phase('snapshot', 'Snapshot each member', [
      saveSnapshot(pick),
      snapshotStatus(pick),
      archiveConfig(pick),
    ]),
    phase('copy-off', 'Copy off the cluster', [downloadBackup(pick), writeManifest(targets), publishStep()]),
    pruneIfRetained(),
  ],
});
