// What Lifeboat writes into a run dir reads back: random valid operator inputs (relative paths, spaces, non-ASCII
// names, a snapshot, a backup folder or its id) are planned, recorded and read back equal, every path absolute.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEtcd, type LocalEtcd } from '../../src/snapshot/etcd-local.js';
import { Redactor } from '../../src/secrets/redact.js';
import { loadInventory } from '../../src/inventory/load.js';
import { createRunDir, readRunRecord, runFiles, writeAtomic } from '../../src/engine/record/rundir.js';
import { absolutePaths, localSnapshot, makePlan } from '../../src/session/inputs.js';
import { runRecord } from '../../src/session/start.js';
import { inventoryDoc } from '../helpers/plans.js';

let etcd: LocalEtcd;
let snapshot: string;
const dir = mkdtempSync(join(tmpdir(), 'lb-run-record-'));

beforeAll(async () => {
  etcd = await startLocalEtcd();
  await etcd.putMany([['/registry/configmaps/default/a', new TextEncoder().encode('a')]]);
  snapshot = join(dir, 'base.db');
  await etcd.etcdctl('snapshot', 'save', snapshot);
}, 60_000);

afterAll(async () => {
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let seed = 20261207;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
// Characters an operator's folder names may hold: spaces, quotes, shell metacharacters, non-ASCII.
const CHARS = [
  ...'abcXYZ019._-',
  ' ',
  "'",
  '"',
  '$',
  '(',
  ')',
  '&',
  ';',
  '*',
  'é',
  'ß',
  '中',
  '@',
  '+',
  ',',
  '=',
];
const component = () => {
  const name = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pick(CHARS)).join('');
  return name === '.' || name === '..' ? `${name}x` : name;
};
/** A fresh folder under the test's own, a few random levels deep. */
const folder = (i: number) => {
  const path = join(dir, `case-${i}`, ...Array.from({ length: 1 + Math.floor(random() * 3) }, component));
  mkdirSync(path, { recursive: true });
  return path;
};
/** The path as an operator may type it: absolute, relative to here, or with a ./ in front. */
const typed = (path: string) => {
  const rel = relative(process.cwd(), path);
  return pick([path, rel, `./${rel}`]);
};

/** A local backup folder as `lifeboat run backup` writes it, holding the snapshot. */
function backupFolder(at: string): string {
  const id = `unit-2026010${Math.floor(random() * 9)}T000000Z`;
  const folder = join(at, id);
  mkdirSync(folder, { recursive: true });
  copyFileSync(snapshot, join(folder, 'etcd-cp-1.db'));
  writeFileSync(join(folder, 'etcd-cp-1-config.tar.gz'), 'not read here');
  const manifest = {
    format: 'lifeboat-backup/1',
    id,
    cluster: 'unit',
    encrypted: false,
    members: [{ member: 'cp-1', file: 'etcd-cp-1.db', config: 'etcd-cp-1-config.tar.gz', revision: 2 }],
  };
  writeFileSync(join(folder, 'backup-manifest.json'), JSON.stringify(manifest));
  return folder;
}

describe('run record', () => {
  it('reads back every record made from random valid inputs, with every path absolute', async () => {
    for (let i = 0; i < 30; i++) {
      const where = folder(i);
      const inventoryPath = join(where, `${component()}.yaml`);
      const kind = pick(['file', 'folder', 'id'] as const);
      const store = join(where, 'backups');
      const doc = inventoryDoc('static-pod', 3, { top: { backup: { to: store } } });
      writeFileSync(inventoryPath, JSON.stringify(doc));
      const backup = backupFolder(store);
      const file = join(where, `${component()}.db`);
      copyFileSync(snapshot, file);
      const given = { file: typed(file), folder: typed(backup), id: backup.split('/').pop()! }[kind];
      const inv = loadInventory(typed(inventoryPath));
      const params = localSnapshot({ snapshot: given }, inv);
      const made = await makePlan(
        { runbook: 'restore-multi-master', inventoryPath: typed(inventoryPath), params },
        new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      );
      const record = runRecord(made, made.ctx.facts, typed(inventoryPath), new Date(), new Redactor());
      const runDir = join(where, 'run');
      createRunDir(runDir);
      writeAtomic(runFiles(runDir).record, JSON.stringify(record, null, 2));
      const back = readRunRecord(runDir);
      expect(back, `case ${i}: ${kind} ${given}`).toEqual(record);
      expect(back.inventoryPath).toBe(inventoryPath);
      const want = kind === 'file' ? file : join(backup, 'etcd-cp-1.db');
      expect(back.params.snapshot).toBe(want);
      expect(Object.keys(back.files)).toEqual([want]);
    }
  });

  it('makes every local path absolute and leaves object store URLs as given', () => {
    const out = absolutePaths({
      snapshot: 'snap.db',
      to: 's3://bucket/prefix',
      recipients: './r.txt',
      token: 't',
    });
    expect(out.snapshot).toBe(resolve('snap.db'));
    expect(isAbsolute(out.recipients!)).toBe(true);
    expect(out.to).toBe('s3://bucket/prefix');
    expect(out.token).toBe('t');
  });
});
