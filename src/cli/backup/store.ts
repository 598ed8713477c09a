// `lifeboat backup list|verify|fetch|prune`: backups in a folder or an object store, found by their manifests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { loadInventory } from '../../inventory/load.js';
import type { BackupConfig } from '../../inventory/backup.js';
import { loadIdentities } from '../../backup/age.js';
import {
  abortPending,
  fetchFile,
  getManifestRead,
  listBackups,
  prunable,
  removeBackup,
  toPrune,
  type BackupManifest,
  type StoredFile,
} from '../../backup/backups.js';
import { checkPin, UNPINNED_NOTE } from '../../backup/pins.js';
import { safeText } from '../../render/safe-text.js';
import { appendPrivateLine, privateDir, safeComponent } from '../../local/private.js';
import { openStore, type Store } from '../../backup/store.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { verify as verifySnapshot } from '../../snapshot/verify.js';
import { operatorName } from '../../session/running.js';

const FLAGS = {
  inventory: { type: 'string', short: 'i' },
  output: { type: 'string', short: 'o' },
  identity: { type: 'string' },
  endpoint: { type: 'string' },
  keep: { type: 'string' },
  days: { type: 'string' },
  'stale-hours': { type: 'string' },
  yes: { type: 'boolean' },
  restore: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse<typeof FLAGS>>['values'];

function where(v: Values, target?: string): { store: Store; cluster?: string } {
  const inv = v.inventory ? loadInventory(v.inventory) : undefined;
  const cfg: BackupConfig = { ...inv?.backup, ...(v.endpoint ? { endpoint: v.endpoint } : {}) };
  return {
    store: openStore(target ?? inv?.backup?.to ?? '.lifeboat/backups', cfg),
    ...(inv ? { cluster: inv.cluster } : {}),
  };
}

/** BACKUP = TARGET/ID, or a bare ID in the default target. */
function backupRef(v: Values, ref: string | undefined, cmd: string): { store: Store; id: string } {
  if (!ref)
    throw usage(`backup ${cmd}: which backup?`, "give TARGET/ID or an ID from 'lifeboat backup list'");
  const s = ref.replace(/\/+$/, '');
  const i = s.lastIndexOf('/');
  const target = i > 0 && !s.slice(0, i).endsWith('s3:/') ? s.slice(0, i) : undefined;
  return { store: where(v, target).store, id: s.slice(i + 1) };
}

const num = (cmd: string, flag: string, s: string | undefined) => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw usage(`backup ${cmd}: --${flag} '${s}' is not a whole number ≥ 1`);
  return n;
};

export async function runStore(argv: string[]): Promise<number> {
  const { values: v, positionals: p } = parse('backup', argv, FLAGS);
  const cmd = p[0]!;
  if (cmd === 'list') {
    const { store, cluster } = where(v, p[1]);
    try {
      const all = await listBackups(store, cluster);
      if (v.output === 'json') process.stdout.write(JSON.stringify(all, null, 2) + '\n');
      else {
        process.stdout.write(`backups in ${store.url}: ${all.length}\n`);
        for (const m of all) {
          const first = m.members[0] as { revision?: number; totalKey?: number } | undefined;
          const bytes = m.files.reduce((a, f) => a + f.storedBytes, 0);
          process.stdout.write(
            `${m.id}  ${safeText(m.cluster)}  ${safeText(m.takenAt)}  members ` +
              `${safeText(m.members.map((x) => x.member).join(','))}  revision ${first?.revision ?? '?'}  keys ` +
              `${first?.totalKey ?? '?'}  ${bytes} bytes  ${m.encrypted ? 'encrypted' : 'plain'}  ` +
              `${m.verified ? 'verified' : 'unverified'}\n`,
          );
        }
      }
      return EXIT.ok;
    } finally {
      store.close();
    }
  }
  if (cmd === 'verify' || cmd === 'fetch') {
    const { store, id } = backupRef(v, p[1], cmd);
    const ids = v.identity ? loadIdentities(v.identity) : [];
    const dir = cmd === 'fetch' ? resolve(p[2] ?? '') : mkdtempSync(join(tmpdir(), 'lifeboat-verify-'));
    if (cmd === 'fetch' && !p[2]) throw usage('backup fetch: into which folder?', 'backup fetch BACKUP DIR');
    try {
      // Every name is checked with the manifest, before any file is opened.
      const { manifest: m, sha256 } = await getManifestRead(store, id);
      const files = m.files.length ? m.files : snapshotFiles(m);
      if (!files.length)
        throw badInput(`backup ${id} has no file list in its manifest (an older local backup)`);
      if (checkPin(`backup ${store.url}/${id}`, id, sha256) === 'unpinned')
        process.stderr.write(UNPINNED_NOTE(`backup ${id}`));
      privateDir(dir);
      for (const f of files) {
        const out = join(dir, f.name);
        await fetchFile(store, id, f, out, ids);
        if (f.name.endsWith('.db')) checkDb(out, f.name);
        process.stdout.write(`${f.name}: sha256 ${f.sha256.slice(0, 12)}… ok\n`);
      }
      process.stdout.write(
        `backup ${id}: ${files.length} files ${cmd === 'fetch' ? `fetched into ${dir}` : 'verified'}\n`,
      );
      if (cmd === 'verify' && v.restore) return await (await import('./restore.js')).restoreTest(id, m, dir);
      return EXIT.ok;
    } finally {
      store.close();
      if (cmd === 'verify') rmSync(dir, { recursive: true, force: true });
    }
  }
  if (cmd === 'prune') return prune(v, p[1]);
  throw usage(`backup: unknown subcommand '${cmd}'`, "run 'lifeboat backup --help'");
}

/** A local backup's manifest lists no files: its snapshots, each with the sha256 the status step recorded. */
function snapshotFiles(m: BackupManifest): StoredFile[] {
  return (m.members as { file?: unknown; sha256?: unknown }[]).flatMap((x) =>
    typeof x.file === 'string' &&
    /^[\w-][\w.-]*\.db$/.test(x.file) &&
    typeof x.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(x.sha256)
      ? [{ name: x.file, sha256: x.sha256, bytes: 0, storedSha256: x.sha256, storedBytes: 0 }]
      : [],
  );
}

function checkDb(path: string, name: string) {
  const s = Snapshot.open(path);
  try {
    const r = verifySnapshot(s);
    if (!r.ok || r.sha256 === 'mismatch')
      throw badInput(
        `${name}: snapshot verify failed: ${r.problems.slice(0, 3).join('; ') || 'hash mismatch'}`,
      );
  } finally {
    s.close();
  }
}

async function prune(v: Values, target?: string): Promise<number> {
  const keep = { last: num('prune', 'keep', v.keep), days: num('prune', 'days', v.days) };
  if (!keep.last && !keep.days) throw usage('backup prune: --keep N and/or --days D is required');
  const staleHours = num('prune', 'stale-hours', v['stale-hours']) ?? 24;
  const { store, cluster } = where(v, target);
  try {
    const { backups: all, ignored } = await prunable(store, cluster, new Date());
    for (const x of ignored) process.stdout.write(`never pruned: ${safeText(x.id)} (${safeText(x.why)})\n`);
    const gone = toPrune(
      all,
      { ...(keep.last ? { last: keep.last } : {}), ...(keep.days ? { days: keep.days } : {}) },
      new Date(),
    );
    // Uploads begun long ago and never completed (a killed run or CronJob): their parts, no backup.
    const before = new Date(Date.now() - staleHours * 3_600_000);
    const mine = cluster ? `${safeComponent(cluster)}-` : '';
    const stale = (await abortPending(store, '', before, true)).filter((p) => p.key.startsWith(mine));
    const verb = (s: string) => (v.yes ? s : `would ${s}`);
    for (const m of gone) process.stdout.write(`${verb('delete')} ${m.id} (${safeText(m.takenAt)})\n`);
    for (const p of stale)
      process.stdout.write(
        `${verb('abort')} unfinished upload ${p.key} (begun ${p.initiated.toISOString()})\n`,
      );
    if (!v.yes) {
      process.stdout.write(
        `${gone.length} of ${all.length} backups would be deleted, ${stale.length} unfinished ` +
          `uploads older than ${staleHours} h aborted; run again with --yes\n`,
      );
      return EXIT.ok;
    }
    for (const m of gone) await removeBackup(store, m);
    for (const p of stale) await store.abortUpload(p);
    appendPrivateLine(
      '.lifeboat/backup-audit.jsonl',
      JSON.stringify({
        type: 'backup.prune',
        at: new Date().toISOString(),
        operator: operatorName(),
        target: store.url,
        keep,
        removed: gone.map((m) => m.id),
        aborted: stale.map((p) => p.key),
      }),
    );
    process.stdout.write(
      `${gone.length} of ${all.length} backups deleted from ${store.url}, ${stale.length} unfinished uploads aborted\n`,
    );
    return EXIT.ok;
  } finally {
    store.close();
  }
}
