// The engine end to end on the lab: kill -9 and resume, a cut SSH connection, host keys, audit tampering, secrets.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sh } from '../../src/shell/sh.js';
import { systemClock } from '../../src/engine/clock.js';
import { Redactor } from '../../src/secrets/redact.js';
import { readAudit } from '../../src/engine/record/audit.js';
import { defineRunbook, phase } from '../../src/engine/define.js';
import { NO_FACTS } from '../../src/etcd/facts.js';
import { compile } from '../../src/engine/machine.js';
import { plan } from '../../src/engine/plan.js';
import { createRunDir, runFiles, writeAtomic, type RunRecord } from '../../src/engine/record/rundir.js';
import { execute, type EngineDeps } from '../../src/engine/runner.js';
import { loadInventory } from '../../src/inventory/load.js';
import { labBreak, labDown, labExec, labUp, readAllValues, waitFor, type Lab } from '../../src/lab/index.js';
import { SshExecutor } from '../../src/ssh/index.js';

const BIN = join(process.cwd(), 'bin', 'lifeboat');
const cli = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 170_000,
  });
const auditOf = (dir: string) => (existsSync(runFiles(dir).audit) ? readAudit(runFiles(dir).audit) : []);

let lab: Lab;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'lb-engine-lab-'));
  lab = await labUp({ dir: join(work, 'lab'), seedData: true });
});

afterAll(async () => {
  if (lab) await labDown(lab.dir);
});

describe('engine on the lab', () => {
  it('a changed host key is refused with exit 2 before anything runs', () => {
    const dir = join(work, 'hostkey');
    spawnSync('mkdir', ['-p', join(dir, 'ssh')]);
    copyFileSync(lab.inventoryPath, join(dir, 'inventory.yaml'));
    copyFileSync(join(lab.dir, 'ssh', 'id_ed25519'), join(dir, 'ssh', 'id_ed25519'));
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const other = readFileSync(join(dir, 'other.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const kh = readFileSync(join(lab.dir, 'ssh', 'known_hosts'), 'utf8')
      .split('\n')
      .map((l) => (l.startsWith(lab.members[1]!.address) ? `${lab.members[1]!.address} ${other}` : l));
    writeFileSync(join(dir, 'ssh', 'known_hosts'), kh.join('\n'));
    const runDir = join(dir, 'run');
    const r = cli(['run', 'backup', '-i', join(dir, 'inventory.yaml'), '--yes', '--run-dir', runDir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/host key/i);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(runDir)).toBe(false);
  });

  it('survives kill -9 at several points of a restore, resumes, and the data equals the snapshot', async () => {
    const backups = join(work, 'backups');
    expect(
      cli([
        'run',
        'backup',
        '-i',
        lab.inventoryPath,
        '--set',
        `to=${backups}`,
        '--yes',
        '--run-dir',
        join(work, 'backup-run'),
      ]).status,
    ).toBe(0);
    const snap = join(backups, readdirSync(backups)[0]!, 'etcd-cp-1.db');
    const before = (await readAllValues(lab)).values;
    await labBreak(lab, 'delete-objects');
    expect((await readAllValues(lab)).values.size).toBeLessThan(before.size);

    const runDir = join(work, 'restore-run');
    const points = ['stop/stop-etcd', 'restore/restore', 'start/start-etcd'];
    let args = [
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${snap}`,
      '--yes',
      '--run-dir',
      runDir,
      '--output',
      'json',
    ];
    for (const point of points) {
      const child = spawn(process.execPath, [BIN, ...args], {
        stdio: 'ignore',
        env: { ...process.env, CI: 'true' },
      });
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      await waitFor(() => auditOf(runDir).some((e) => e.type === 'cmd.start' && e.stateId === point), {
        timeoutMs: 90_000,
        intervalMs: 5,
        what: `cmd.start of ${point}`,
      });
      child.kill('SIGKILL');
      expect(await exited).toBe(null);
      args = ['resume', runDir, '--yes', '--output', 'json'];
    }
    const done = cli(args);
    expect(done.status, done.stderr).toBe(0);
    const entries = auditOf(runDir);
    expect(entries.filter((e) => e.type === 'run.resume')).toHaveLength(3);
    expect(entries.at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    const after = (await readAllValues(lab)).values;
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(after.get(k)?.equals(v), k).toBe(true);
    expect(cli(['audit', 'verify', runDir]).status).toBe(0);
  });

  it('a cut SSH connection mid-command is detected: mended once in place, and a second cut stops the run for resume', async () => {
    const dir = join(work, 'cut');
    spawnSync('mkdir', ['-p', dir]);
    const inventory = loadInventory(lab.inventoryPath);
    const stamp = `T${Date.now()}`;
    const f = (ext: string) => `/backup/cut-${stamp}.${ext}`;
    const rb = defineRunbook({
      id: 'cut',
      title: 't',
      summary: 's',
      when: 'w',
      params: z.object({}).strict(),
      nodes: [
        phase('p', 'P', [
          {
            id: 'slow',
            title: 'a long command',
            targets: { kind: 'pick', members: () => ['cp-1'], describe: 'cp-1' },
            actions: () => [
              {
                kind: 'sh',
                // Record the pid of this connection's sshd process, then take long enough to be cut (unless told to be fast).
                script: sh.raw(
                  `p=$$; m=$(cat /run/sshd.pid); while [ "$(awk '/^PPid/{print $2}' /proc/$p/status)" != "$m" ]; do p=$(awk '/^PPid/{print $2}' /proc/$p/status); done; echo $p >${f('pid')}.tmp; mv ${f('pid')}.tmp ${f('pid')}; [ -e ${f('fast')} ] || sleep 20; touch ${f('done')}`,
                ),
              },
            ],
            check: () => sh`[ -e ${f('done')} ]`,
          },
        ]),
      ],
    });
    const ctx = { inventory, facts: NO_FACTS, params: {}, runId: 'cut', stamp, files: {} };
    const runDir = join(dir, 'run');
    createRunDir(runDir);
    const record: RunRecord = {
      version: 1,
      runId: 'cut',
      runbook: 'cut',
      runbookHash: 'h',
      inventoryPath: lab.inventoryPath,
      inventoryHash: 'i',
      params: {},
      stamp,
      startedAt: '',
      facts: NO_FACTS,
      files: {},
      plan: plan(rb, ctx),
      secretParams: [],
    };
    writeAtomic(runFiles(runDir).record, JSON.stringify(record));
    const deps = (): EngineDeps => ({
      executor: new SshExecutor(inventory, { sshConfigFile: false, agentSocket: false }),
      clock: systemClock,
      prompter: { interactive: false, confirm: async () => false, choose: async () => 'retry' as never },
      listeners: [],
      redactor: new Redactor(),
      operator: 'test',
    });
    const cutConnection = async (notPid?: string) => {
      const pid = await waitFor(
        async () => {
          const v = (await labExec(lab, 'cp-1', `cat ${f('pid')} 2>/dev/null`)).stdout.trim();
          return v && v !== notPid ? v : undefined;
        },
        { timeoutMs: 20_000, what: 'the pid file of the command' },
      );
      await labExec(lab, 'cp-1', `kill -9 ${pid}`);
      return pid;
    };
    const first = deps();
    // Settled into a value at once, so the expected rejection is never unhandled while the test waits.
    const running = execute({
      dir: runDir,
      record,
      runbook: rb,
      compiled: compile(rb),
      deps: first,
      approvals: { all: false, steps: new Set() },
      opening: [],
    }).then(
      (s) => s,
      (e: unknown) => e,
    );
    const pid1 = await cutConnection();
    await cutConnection(pid1);
    expect(await running).toMatchObject({ code: 'unreachable' });
    await first.executor.close();
    const events = auditOf(runDir);
    expect(events.some((e) => e.type === 'warning' && /reconnecting/.test(e.message))).toBe(true);
    expect(events.filter((e) => e.type === 'host.check' && !e.alreadyDone)).toHaveLength(1);
    await labExec(lab, 'cp-1', `touch ${f('fast')}`);
    const second = deps();
    const status = await execute({
      dir: runDir,
      record,
      runbook: rb,
      compiled: compile(rb),
      deps: second,
      approvals: { all: false, steps: new Set() },
      opening: [],
    });
    await second.executor.close();
    expect(status).toBe('done');
    expect(auditOf(runDir).filter((e) => e.type === 'host.check')).toHaveLength(2);
    expect((await labExec(lab, 'cp-1', `[ -e ${f('done')} ] && echo yes`)).stdout.trim()).toBe('yes');
  });

  it('one run at a time per cluster: a second run is refused naming the holder; a new host key is accepted only when asked, and recorded', () => {
    const dir = join(work, 'lock');
    const first = cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${join(work, 'backups', readdirSync(join(work, 'backups'))[0]!, 'etcd-cp-1.db')}`,
      '--run-dir',
      join(dir, 'a'),
    ]);
    expect(first.status, first.stderr).toBe(4);
    expect(first.stderr).toMatch(/--approve stop-apiservers/);
    const second = cli(['run', 'backup', '-i', lab.inventoryPath, '--run-dir', join(dir, 'b')]);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(/locked by run .*restore-multi-master/);
    expect(cli(['status', join(dir, 'a')]).stdout).toMatch(/approve: lifeboat resume/);
    expect(cli(['resume', join(dir, 'a'), '--abort']).status).toBe(5);
    expect(auditOf(join(dir, 'a')).at(-1)).toMatchObject({ type: 'run.end', status: 'aborted' });
    expect(auditOf(join(dir, 'a')).some((e) => e.type === 'cmd.start' && e.stateId.startsWith('stop/'))).toBe(
      false,
    );

    const kh = join(dir, 'known_hosts');
    writeFileSync(
      kh,
      readFileSync(join(lab.dir, 'ssh', 'known_hosts'), 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith(lab.members[2]!.address))
        .join('\n'),
    );
    const inv = join(lab.dir, 'inventory-newkey.yaml');
    writeFileSync(
      inv,
      readFileSync(lab.inventoryPath, 'utf8').replace('knownHosts: ssh/known_hosts', `knownHosts: ${kh}`),
    );
    const refusedRun = cli(['diagnose', '-i', inv]);
    expect(refusedRun.status).toBe(2);
    expect(refusedRun.stderr).toMatch(/not in/);
    const accepted = cli([
      'run',
      'backup',
      '-i',
      inv,
      '--set',
      `to=${join(dir, 'bk')}`,
      '--yes',
      '--accept-new-host-keys',
      '--run-dir',
      join(dir, 'c'),
    ]);
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(auditOf(join(dir, 'c')).find((e) => e.type === 'hostkey.accepted')).toMatchObject({
      fingerprint: expect.stringMatching(/^SHA256:/),
    });
    expect(readFileSync(kh, 'utf8')).toContain(lab.members[2]!.address);
  });

  it('editing one audit line makes audit verify fail; a secret never reaches the audit, the plan record or the report', () => {
    const dir = join(work, 'secret');
    spawnSync('mkdir', ['-p', dir]);
    const secret = 'hunter2-not-for-logs';
    const inv =
      readFileSync(lab.inventoryPath, 'utf8').replace(/^etcd:.*$/m, '') +
      `etcd:\n  tools:\n    etcdctl: env ETCDCTL_PASSWORD=${secret} etcdctl\n`;
    const invPath = join(lab.dir, 'inventory-secret.yaml');
    writeFileSync(invPath, inv);
    const runDir = join(dir, 'run');
    const r = cli([
      'run',
      'backup',
      '-i',
      invPath,
      '--set',
      `to=${join(dir, 'b')}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(cli(['report', runDir]).status).toBe(0);
    for (const f of ['audit.jsonl', 'run.json', 'report.md'])
      expect(readFileSync(join(runDir, f), 'utf8'), f).not.toContain(secret);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(readFileSync(join(runDir, 'audit.jsonl'), 'utf8')).toContain('ETCDCTL_PASSWORD=***');

    const f = join(runDir, 'audit.jsonl');
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    writeFileSync(
      f,
      lines
        .map((l, i) => (i === 5 ? l.replace(/"ts":"[^"]*"/, '"ts":"2000-01-01T00:00:00.000Z"') : l))
        .join('\n') + '\n',
    );
    const v = cli(['audit', 'verify', runDir]);
    expect(v.status).toBe(1);
    expect(v.stderr).toMatch(/line 6/);
  });

  it('bad input gets one line and exit 2 with nothing changed: unreachable host, bad flag, bad --set, bad snapshot', async () => {
    const runDir = join(work, 'bad', 'run');
    const flag = cli(['run', 'backup', '-i', lab.inventoryPath, '--bogus']);
    expect([flag.status, flag.stderr.trim().split('\n').length]).toEqual([2, 1]);
    const set = cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      'snapshott=/x',
      '--yes',
    ]);
    expect(set.status).toBe(2);
    expect(set.stderr).toMatch(/snapshot/);
    const junk = join(work, 'junk.db');
    writeFileSync(junk, Buffer.alloc(8192, 7));
    const snap = cli([
      'run',
      'restore-multi-master',
      '-i',
      lab.inventoryPath,
      '--set',
      `snapshot=${junk}`,
      '--yes',
      '--run-dir',
      runDir,
    ]);
    expect([snap.status, snap.stderr.trim().split('\n').length]).toEqual([2, 1]);
    await labBreak(lab, 'ssh-down', 'cp-3');
    const down = cli(['run', 'backup', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir]);
    expect(down.status).toBe(2);
    expect(down.stderr).toMatch(/cp-3 .*unreachable/);
    expect(existsSync(runDir)).toBe(false);
  });
});
