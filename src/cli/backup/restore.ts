// `backup verify BACKUP --restore`: each member's snapshot restored and served by a throwaway etcd of its own version.
import { join } from 'node:path';
import { badInput } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import type { BackupManifest } from '../../backup/backups.js';
import { localEtcdTools } from '../../snapshot/etcd-binaries.js';
import { restoreCheck, type Recorded } from '../../snapshot/restore-check.js';

interface MemberEntry extends Recorded {
  member: string;
  file: string;
  etcdVersion?: string;
}

export async function restoreTest(id: string, m: BackupManifest, dir: string): Promise<number> {
  const members = m.members as MemberEntry[];
  let failed = 0;
  for (const entry of members) {
    const version = typeof entry.etcdVersion === 'string' ? entry.etcdVersion : undefined;
    const tools = localEtcdTools(version);
    if (!tools)
      throw badInput(
        `backup ${id}: no etcd ${version ?? ''} binaries on this machine to restore ${entry.file} with`,
        'install that etcd version (etcd, etcdctl, etcdutl) or run the restore test where it is installed',
      );
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
