// Backup (PROCEDURES §1): snapshot members, check each, copy them and the config off the cluster, write a manifest.
import { join } from 'node:path';
import { z } from 'zod';
import { safeComponent, writePrivate } from '../src/local/private.js';
import { chosenMembers, defineRunbook, phase } from '../src/engine/define.js';
import { shq } from '../src/engine/tools.js';
import type { HostCtx, PlanCtx } from '../src/engine/types.js';
import { localDir, publishStep, pruneStep } from '../src/steps/offsite.js';

const snapFile = (c: HostCtx) => `${c.member.backupDir}/etcd-${c.member.name}-${c.stamp}.db`;
const confFile = (c: HostCtx) => `${c.member.backupDir}/etcd-${c.member.name}-${c.stamp}-config.tar.gz`;
const outDir = localDir;
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
    'Snapshot every (or chosen) member, check each snapshot, back up certificates and manifests or etcd.conf, copy everything to the operator machine with sha256 checked, write a backup manifest; upload it to the object store (age-encrypted when configured, manifest last) and prune old backups when retention is set.',
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
    phase('preflight', 'Preflight', [
      {
        id: 'health',
        title: 'Each chosen member answers endpoint health',
        targets: pick,
        actions: (c) => [
          { kind: 'sh', script: c.tools.etcdctl('--dial-timeout=2s --command-timeout=3s endpoint health') },
        ],
        retries: 1,
        hint: 'a member that does not answer cannot be snapshotted; choose others with --set members=...',
      },
    ]),
    phase('snapshot', 'Snapshot each member', [
      {
        id: 'save',
        title: 'etcdctl snapshot save into the backup dir (mode 0600)',
        targets: pick,
        actions: (c) => [
          {
            kind: 'sh',
            script: `mkdir -p ${shq(c.member.backupDir)} && umask 077 && ${c.tools.etcdctl(`snapshot save ${shq(snapFile(c))}`)} && chmod 600 ${shq(snapFile(c))}`,
          },
        ],
        check: (c) => `[ -s ${shq(snapFile(c))} ]`,
        timeoutMs: 600_000,
        hint: 'check free space in the backup dir and that the member is healthy',
      },
      {
        id: 'status',
        title: 'snapshot status: hash, revision, total keys; sha256 of the file',
        targets: pick,
        actions: (c) => [
          { kind: 'sh', script: `${c.tools.snapshotStatus(snapFile(c))} && sha256sum ${shq(snapFile(c))}` },
        ],
        capture: (out) => {
          const j = /\{[^}]*\}/.exec(out)?.[0];
          const st = j ? (JSON.parse(j) as Record<string, number>) : {};
          return {
            hash: st.hash,
            revision: st.revision,
            totalKey: st.totalKey,
            totalSize: st.totalSize,
            sha256: /^([0-9a-f]{64})\s/m.exec(out)?.[1],
          };
        },
        hint: 'the snapshot file is damaged; take it again',
      },
      {
        id: 'config',
        title: 'Archive what a restore depends on: PKI and manifests, or etcd.conf and drop-ins',
        targets: pick,
        actions: (c) => {
          const dir = `${c.member.backupDir}/lifeboat-config-${c.stamp}`;
          // Written under a temporary name and renamed, so the check (archive exists) never accepts a half-written one;
          // a copy left by an interrupted attempt is moved aside first (never deleted).
          return [
            {
              kind: 'sh',
              script: [
                'set -e',
                `d=${shq(dir)}; t=${shq(confFile(c))}`,
                'if [ -s "$t" ]; then echo "already archived: $t"; exit 0; fi',
                'if [ -e "$d" ]; then mv "$d" "$d.partial-$(date +%s)"; fi',
                c.platform.backupConfig(c.member, dir),
                'umask 077; tar czf "$t.part" -C "$d" . && mv "$t.part" "$t"',
                'tar tzf "$t" | sed -n "s#^\\./##p" | grep -v / | sort | tr "\\n" " "; echo',
              ].join('\n'),
            },
          ];
        },
        check: (c) => `[ -s ${shq(confFile(c))} ]`,
      },
    ]),
    phase('copy-off', 'Copy off the cluster', [
      {
        id: 'download',
        title: 'Download snapshots and config archives to the operator machine (sha256 checked)',
        targets: pick,
        actions: (c) => [
          {
            kind: 'download',
            from: snapFile(c),
            to: join(outDir(c), safeComponent(`etcd-${c.member.name}.db`)),
          },
          {
            kind: 'download',
            from: confFile(c),
            to: join(outDir(c), safeComponent(`etcd-${c.member.name}-config.tar.gz`)),
          },
        ],
        timeoutMs: 1_800_000,
      },
      {
        id: 'manifest',
        title: 'Write the backup manifest (cluster, member, revision, hash, time, etcd version)',
        targets: { kind: 'local' },
        local: {
          describe: (c) => `write ${join(outDir(c), 'backup-manifest.json')}`,
          run: async (c, rt) => {
            const status = rt.outputs['snapshot/status'] ?? {};
            const manifest = {
              cluster: c.inventory.cluster,
              takenAt: new Date().toISOString(),
              runId: c.runId,
              members: targets(c).map((name) => ({
                member: name,
                file: `etcd-${name}.db`,
                config: `etcd-${name}-config.tar.gz`,
                etcdVersion: c.facts.members[name]?.etcdVersion ?? c.facts.members[name]?.status?.version,
                ...status[name],
              })),
            };
            writePrivate(join(outDir(c), 'backup-manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
            return { dir: outDir(c), members: manifest.members.length };
          },
        },
      },
      publishStep(),
      pruneStep(),
    ]),
  ],
});
