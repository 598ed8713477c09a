// Steps of the backup (docs/procedures.md, backup): snapshot, check, archive the config, copy it all off the cluster.
import { fileSha256 } from '../local/digest.js';
import { join } from 'node:path';
import type { HostCtx, PlanCtx, StepDef, Targets } from '../engine/types.js';
import { safeComponent, writePrivate } from '../local/private.js';
import { sh } from '../shell/sh.js';
import { backupId, localDir } from './offsite.js';

export const snapFile = (c: HostCtx) => `${c.member.backupDir}/etcd-${c.member.name}-${c.stamp}.db`;
export const confFile = (c: HostCtx) =>
  `${c.member.backupDir}/etcd-${c.member.name}-${c.stamp}-config.tar.gz`;
/** Where the copies land on the operator's machine: --set to=DIR, or a staging folder before an upload. */
export const outDir = localDir;

export const answersHealth = (targets: Targets): StepDef => ({
  id: 'health',
  title: 'Each chosen member answers endpoint health',
  targets,
  actions: (c) => [
    { kind: 'sh', script: c.tools.etcdctl(sh`--dial-timeout=2s --command-timeout=3s endpoint health`) },
  ],
  retries: 1,
  hint: 'a member that does not answer cannot be snapshotted; choose others with --set members=...',
});

export const saveSnapshot = (targets: Targets): StepDef => ({
  id: 'save',
  title: 'etcdctl snapshot save into the backup dir (mode 0600)',
  targets,
  actions: (c) => [
    {
      kind: 'sh',
      script: sh.join(
        [
          sh`mkdir -p ${c.member.backupDir} && umask 077 && ${c.tools.snapshotSave(snapFile(c))}`,
          sh`chmod 600 ${snapFile(c)}`,
        ],
        ' && ',
      ),
    },
  ],
  check: (c) => sh`[ -s ${snapFile(c)} ]`,
  timeoutMs: 600_000,
  hint: 'check free space in the backup dir and that the member is healthy',
});

export const snapshotStatus = (targets: Targets): StepDef => ({
  id: 'status',
  title: 'snapshot status: hash, revision, total keys; sha256 of the file',
  targets,
  actions: (c) => [
    { kind: 'sh', script: sh`${c.tools.snapshotStatus(snapFile(c))} && sha256sum ${snapFile(c)}` },
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
});

/**
 * Written under a temporary name and renamed, so the check (archive exists) never accepts a half-written one; a copy
 * left by an interrupted attempt is moved aside first (never deleted).
 */
export const archiveConfig = (targets: Targets): StepDef => ({
  id: 'config',
  title: 'Archive what a restore depends on: PKI and manifests, or etcd.conf and drop-ins',
  targets,
  actions: (c) => {
    const dir = `${c.member.backupDir}/lifeboat-config-${c.stamp}`;
    return [
      {
        kind: 'sh',
        script: sh.lines(
          sh`set -e`,
          sh`d=${dir}; t=${confFile(c)}`,
          sh`if [ -s "$t" ]; then echo "already archived: $t"; exit 0; fi`,
          sh`if [ -e "$d" ]; then mv "$d" "$d.partial-$(date +%s)"; fi`,
          c.platform.backupConfig(c.member, dir),
          sh`umask 077; tar czf "$t.part" -C "$d" . && mv "$t.part" "$t"`,
          sh`tar tzf "$t" | sed -n "s#^\\./##p" | grep -v / | sort | tr "\\n" " "; echo`,
        ),
      },
    ];
  },
  check: (c) => sh`[ -s ${confFile(c)} ]`,
});

export const downloadBackup = (targets: Targets): StepDef => ({
  id: 'download',
  title: 'Download snapshots and config archives to the operator machine (sha256 checked)',
  targets,
  actions: (c) => [
    { kind: 'download', from: snapFile(c), to: join(outDir(c), safeComponent(`etcd-${c.member.name}.db`)) },
    {
      kind: 'download',
      from: confFile(c),
      to: join(outDir(c), safeComponent(`etcd-${c.member.name}-config.tar.gz`)),
    },
  ],
  timeoutMs: 1_800_000,
});

/**
 * backup-manifest.json beside the copies, in the store's own format (lifeboat-backup/1): what each file holds (from
 * the status step's captures) and its sha256, so `backup list`, `backup verify` and a restore by id read it as they
 * read an uploaded backup. Every file was checked against the host's sha256 on download: the backup is verified.
 */
export const writeManifest = (members: (c: PlanCtx) => string[]): StepDef => ({
  id: 'manifest',
  title: 'Write the backup manifest (cluster, member, revision, hash, time, etcd version)',
  targets: { kind: 'local' },
  local: {
    describe: (c) => `write ${join(outDir(c), 'backup-manifest.json')}`,
    run: async (c, rt) => {
      const status = rt.outputs['snapshot/status'] ?? {};
      const entries = members(c).map((name) => ({
        member: name,
        file: `etcd-${name}.db`,
        config: `etcd-${name}-config.tar.gz`,
        etcdVersion: c.facts.members[name]?.etcdVersion ?? c.facts.members[name]?.status?.version,
        ...status[name],
      }));
      const files = [];
      for (const name of entries.flatMap((m) => [m.file, m.config])) {
        const { sha256, bytes } = await fileSha256(join(outDir(c), name));
        files.push({ name, sha256, bytes, storedSha256: sha256, storedBytes: bytes });
      }
      const manifest = {
        format: 'lifeboat-backup/1',
        id: backupId(c),
        cluster: c.inventory.cluster,
        takenAt: new Date().toISOString(),
        runId: c.runId,
        encrypted: false,
        verified: true,
        members: entries,
        files,
      };
      writePrivate(join(outDir(c), 'backup-manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
      return { id: manifest.id, dir: outDir(c), members: entries.length, files: files.length };
    },
  },
});
