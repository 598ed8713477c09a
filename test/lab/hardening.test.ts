// Hardening on the lab (issue 10): a backup run under umask 022 leaves only 0600 files in 0700 folders, also after a
// download killed with -9 and resumed (a stale world-readable .part planted meanwhile is replaced, not reused); the
// audit head anchored on the members catches a cut tail; a torn last line is repaired on resume; a forged run.json is
// refused before anything runs.
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labExec, labUp, type Lab } from '../../src/lab/index.js';
import { loadInventory } from '../../src/inventory/load.js';
import { cli, expectCode, hostExists, hostRead, runAndKill } from './runbook-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-harden-'));
let lab: Lab;
let oldUmask: number;
beforeAll(async () => {
  oldUmask = process.umask(0o022); // inherited by every CLI run below
  lab = await labUp({ dir: join(dir, 'lab'), members: 3, mode: 'static-pod', seedData: true });
});
afterAll(async () => {
  process.umask(oldUmask);
  await labDown(join(dir, 'lab'));
  rmSync(dir, { recursive: true, force: true });
});

/** Every file and folder under root with a mode other than 0600 / 0700. */
function notPrivate(root: string): string[] {
  const bad: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const m = statSync(p).mode & 0o777;
      if (e.isDirectory()) {
        if (m !== 0o700) bad.push(`${p} ${m.toString(8)}`);
        walk(p);
      } else if (m !== 0o600) bad.push(`${p} ${m.toString(8)}`);
    }
  };
  if ((statSync(root).mode & 0o777) !== 0o700)
    bad.push(`${root} ${(statSync(root).mode & 0o777).toString(8)}`);
  walk(root);
  return bad;
}

describe('private backups under umask 022', () => {
  it('run backup: every file 0600, every folder 0700 (backup folder and run dir)', async () => {
    const to = join(dir, 'out-1');
    const runDir = join(dir, 'run-1');
    expectCode(
      await cli([
        'run',
        'backup',
        '-i',
        lab.inventoryPath,
        '--set',
        `to=${to}`,
        '--yes',
        '--run-dir',
        runDir,
      ]),
      0,
    );
    expect(readdirSync(to)).toHaveLength(1);
    expect(notPrivate(to)).toEqual([]);
    expect(notPrivate(runDir)).toEqual([]);
  });

  it('the run ends printing its audit head, anchored on every member; a cut tail is caught by the anchors', async () => {
    const runDir = join(dir, 'run-1');
    const audit = join(runDir, 'audit.jsonl');
    const lines = readFileSync(audit, 'utf8').split('\n').filter(Boolean);
    const last = JSON.parse(lines.at(-1)!) as { seq: number; hash: string };
    const { runId } = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { runId: string };
    for (const m of loadInventory(lab.inventoryPath).members)
      expect(await hostRead(lab, m.name, `${m.backupDir}/.lifeboat-audit-${runId}`)).toBe(
        `${last.seq} ${last.hash}\n`,
      );
    const ok = await cli(['audit', 'verify', runDir]);
    expectCode(ok, 0);
    expect(ok.stderr).toMatch(/anchors agree on cp-1, cp-2, cp-3/);
    const cut = join(dir, 'run-cut');
    cpSync(runDir, cut, { recursive: true });
    writeFileSync(join(cut, 'audit.jsonl'), lines.slice(0, -5).join('\n') + '\n');
    const bad = await cli(['audit', 'verify', cut]);
    expectCode(bad, 1);
    expect(bad.stderr).toMatch(/shorter than its anchor on cp-1/);
    // resume of the cut log is refused too (here by the ended-run check or the anchors, never run).
    expect((await cli(['resume', cut, '--yes'])).code).not.toBe(0);
  });

  it('a forged run.json ($(...) in stamp) makes resume exit 2 naming the field, nothing run', async () => {
    const forged = join(dir, 'run-forged');
    cpSync(join(dir, 'run-1'), forged, { recursive: true });
    const rec = JSON.parse(readFileSync(join(forged, 'run.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      join(forged, 'run.json'),
      JSON.stringify({ ...rec, stamp: `$(touch ${join(dir, 'PWNED')})` }),
    );
    const before = readFileSync(join(forged, 'audit.jsonl'), 'utf8');
    const r = await cli(['resume', forged, '--yes']);
    expectCode(r, 2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/run\.json is damaged or forged: stamp:/);
    expect(readFileSync(join(forged, 'audit.jsonl'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it('kill -9 during the download, a stale 0644 .part planted, resume: still only 0600/0700', async () => {
    const to = join(dir, 'out-kill');
    const runDir = join(dir, 'run-kill');
    await runAndKill(
      ['run', 'backup', '-i', lab.inventoryPath, '--set', `to=${to}`, '--yes'],
      runDir,
      (e) => e.type === 'cmd.start' && e.stateId === 'copy-off/download' && e.member === 'cp-2',
    );
    const [sub] = readdirSync(to);
    writeFileSync(join(to, sub!, 'etcd-cp-3.db.part'), 'half a download', { mode: 0o644 });
    appendFileSync(join(runDir, 'audit.jsonl'), '{"seq":999,"type":"cmd.st'); // a crash mid-write
    expectCode(await cli(['resume', runDir, '--yes']), 0);
    expect(readdirSync(runDir).filter((f) => f.startsWith('audit.jsonl.torn-'))).toHaveLength(1);
    expectCode(await cli(['audit', 'verify', runDir]), 0);
    expect(readdirSync(join(to, sub!)).filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(notPrivate(to)).toEqual([]);
    expect(notPrivate(runDir)).toEqual([]);
  });

  // Last in the file: the planted flag breaks cp-2's etcd once its kubelet stand-in rereads the manifest.
  it('discover refuses a member that advertises a $(...) client URL: exit 2 naming it, nothing written', async () => {
    const marker = join(tmpdir(), `lifeboat-pwned-${process.pid}`);
    const cp2 = lab.members[1]!;
    const manifest = '/etc/kubernetes/manifests/etcd.yaml';
    const plant = String.raw`sed -i 's#--advertise-client-urls=\([^ "]*\)#--advertise-client-urls=\1/$(touch ${marker})#' ${manifest}`;
    expect((await labExec(lab, cp2.name, plant)).code).toBe(0);
    expect(await hostRead(lab, cp2.name, manifest)).toContain(`$(touch ${marker})`);
    const out = join(dir, 'discovered.yaml');
    const targets = lab.members.map((m) => `${lab.ssh.user}@${m.address}`).join(',');
    const r = await cli([
      'discover',
      '--ssh',
      targets,
      '--identity',
      lab.ssh.identityFile,
      '--known-hosts',
      lab.ssh.knownHosts,
      '--cluster',
      lab.cluster,
      '-o',
      out,
    ]);
    expectCode(r, 2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/clientURL/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(marker)).toBe(false);
    for (const m of lab.members) expect(await hostExists(lab, m.name, marker)).toBe(false);
  });
});
