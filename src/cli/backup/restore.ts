// `backup verify BACKUP --restore`: each member's snapshot restored and served by a throwaway etcd of its own version.
import { join } from 'node:path';
import { badInput } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import type { BackupManifest } from '../../backup/backups.js';
import { newerDataLine, newerLine } from '../../etcd/versions.js';
import { localEtcdTools, type EtcdTools } from '../../snapshot/etcd-binaries.js';
import { restoreCheck, storageVersionOf, type Recorded } from '../../snapshot/restore-check.js';

interface MemberEntry extends Recorded {
  member: string;
  file: string;
  etcdVersion?: string;
}

/** The snapshot's storage version; a file that does not open is left to the restore test to report. */
function readableStorageVersion(file: string): string | undefined {
  try {
    return storageVersionOf(file);
  } catch {
    return undefined;
  }
}

/** Refuses (exit 2, before any etcd starts) a snapshot of a newer etcd line than the tools: etcd would not serve it. */
function refuseNewerSnapshot(file: string, written: string | undefined, tools: EtcdTools): void {
  if (written === undefined || !newerLine(written, tools.release)) return;
  throw badInput(
    newerDataLine({
      what: `snapshot ${file} (storage version ${written})`,
      written,
      by: 'the etcd found on this machine to restore it',
      release: tools.release,
    }),
  );
}

/** The tools of the snapshot's own line (the newer of the manifest's version and its storage version), refused when
 *  older than the data. */
function toolsFor(id: string, entry: MemberEntry, file: string): { version?: string; tools: EtcdTools } {
  const recorded = typeof entry.etcdVersion === 'string' ? entry.etcdVersion : undefined;
  const written = readableStorageVersion(file);
  // A manifest older than the data (edited, or written by another tool) must not pick older tools.
  const version = newerLine(written, recorded) ? written : recorded;
  // With no tools of its line, the newest here: refused below when older than the data.
  const tools = localEtcdTools(version) ?? (written ? localEtcdTools() : undefined);
  if (!tools)
    throw badInput(
      `backup ${id}: no etcd ${version ?? ''} binaries on this machine to restore ${entry.file} with`,
      'install that etcd version (etcd, etcdctl, etcdutl) or run the restore test where it is installed',
    );
  refuseNewerSnapshot(file, written, tools);
  // The manifest's version is what the report names as the one that took the backup.
  return recorded === undefined ? { tools } : { version: recorded, tools };
}

export async function restoreTest(id: string, m: BackupManifest, dir: string): Promise<number> {
  const members = m.members as MemberEntry[];
  // Every snapshot's tools found, and none newer than its tools, before any throwaway etcd starts.
  const plan = members.map((entry) => toolsFor(id, entry, join(dir, entry.file)));
  let failed = 0;
  for (const [i, entry] of members.entries()) {
    const { version, tools } = plan[i]!;
    let r;
    try {
      r = await restoreCheck(join(dir, entry.file), tools, entry);
    } catch (err) {
      const lines = ((err as Error).message ?? String(err)).split('\n').filter((l) => l.trim());
      const why = lines.join(' | ').slice(0, 400);
      process.stdout.write(`${entry.file}: FAILED to restore and serve with etcd ${tools.release}: ${why}\n`);
      failed++;
      continue;
    }
    const o = r.objects;
    const line =
      `${entry.file}: restored with etcd ${r.release}${version && version !== r.release ? ` (backup taken by ${version})` : ''}` +
      `, served revision ${r.revision}, ${r.liveKeys} keys, hashkv ${r.hashKV}; ` +
      `${o.total} Kubernetes objects: ${o.full} decoded, ${o.partial} partly, ${o.raw} raw`;
    process.stdout.write(line + '\n');
    for (const x of r.mismatches) process.stdout.write(`${entry.file}: MISMATCH ${x}\n`);
    if (r.mismatches.length > 0) failed++;
  }
  if (failed > 0) {
    process.stderr.write(
      `lifeboat: backup ${id}: ${failed} of ${members.length} snapshots do not restore or do not match the manifest: ` +
        `it is not the cluster it says it is, was damaged after it was taken, or does not restore; do not restore it\n`,
    );
    return EXIT.failed;
  }
  process.stdout.write(
    `backup ${id}: restore-tested: ${members.length} snapshot(s) restored, served and matched\n`,
  );
  return EXIT.ok;
}
