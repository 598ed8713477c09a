// The commander's terminal, used the way a person uses it: recover-quorum in a tmux pseudo-terminal at 120 columns,
// keys sent, the screen read back (an abort after the API servers stopped, a full run, Ctrl-C mid-step and resume);
// then the postmortem report of the full run.
// The person at this terminal is not CI: the CLI runs with CI unset even when the suite runs under CI=true.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labExec, labUp, waitFor, type Lab } from '../../src/lab/index.js';
import { findAll, parseXml } from '../helpers/xml.js';
import { loadInventory } from '../../src/inventory/load.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectSameData,
  hostExists,
  readAuditEvents,
  ROOT,
  stepsRun,
} from './runbook-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-views-'));
const SOCK = `lifeboat-views-${process.pid}`;
const tmux = (...a: string[]) => execFileSync('tmux', ['-L', SOCK, ...a], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-2000', '-t', 'rq');
let lab: Lab;
let watcher: ChildProcess | undefined;

/** `lifeboat watch RUN_DIR` for a second operator, output piped (plain): each redraw with when it arrived. */
function watchPlain(runDir: string): Array<{ at: number; text: string }> {
  const seen: Array<{ at: number; text: string }> = [];
  watcher = spawn('node', [join(ROOT, 'bin/lifeboat'), 'watch', runDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  watcher.stdout!.on('data', (d: Buffer) => {
    const blocks = (buf + d.toString()).split('\n\n');
    buf = blocks.pop() ?? '';
    for (const text of blocks) seen.push({ at: Date.now(), text });
  });
  return seen;
}

beforeAll(async () => {
  lab = await labUp({ dir: join(dir, 'lab'), members: 3, mode: 'static-pod', seedData: true });
});
afterAll(async () => {
  if (watcher?.pid !== undefined && watcher.exitCode === null) process.kill(watcher.pid, 'SIGTERM');
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  await labDown(join(dir, 'lab'));
  rmSync(dir, { recursive: true, force: true });
});

/** The confirmation block last shown on the screen: from its header to its keys line. */
function lastConfirmation(s: string): string[] {
  const lines = s.split('\n');
  const start = lines.map((l) => l.startsWith('⚠ DESTRUCTIVE')).lastIndexOf(true);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('[y] run it'));
  return lines.slice(start, end + 1);
}

/** The progress lines of finished steps: [step N of M · …] stateId: … */
const progress = (s: string) =>
  s.split('\n').flatMap((l) => {
    const m = /^✔ \[step (\d+) of (\d+) · [^\]]*\] (\S+):/.exec(l);
    return m ? [{ n: Number(m[1]), of: Number(m[2]), stateId: m[3]! }] : [];
  });

describe('commander terminal (tmux, 120 columns)', () => {
  const runDir = join(dir, 'run');
  let before: Map<string, Buffer>;
  it('y, then a a at the next step: exit 5, the parked API server manifests listed with their undo, never healthy', async () => {
    before = await clusterValues(lab);
    await labBreak(lab, 'lose-quorum');
    const abortDir = join(dir, 'aborted');
    const cmd = `cd ${ROOT} && env -u CI node bin/lifeboat run recover-quorum -i ${lab.inventoryPath} --run-dir ${abortDir}; echo EXIT=$?; sleep 3600`;
    tmux('new-session', '-d', '-s', 'rq', '-x', '120', '-y', '50', cmd);
    const confirmation = (n: number) =>
      waitFor(() => screen().split('[y] run it').length - 1 >= n || /EXIT=\d/.test(screen()), {
        timeoutMs: 120_000,
        what: `confirmation ${n}`,
      });
    await confirmation(1);
    // Steps before the first confirmation: step N of M, in order, each once.
    const shown = progress(screen());
    expect(shown.length).toBeGreaterThan(0);
    shown.forEach((p, i) => expect(p.n).toBe(i + 1));
    const held = await Promise.all(lab.members.map((m) => hostExists(lab, m.name, '/backup/.lifeboat-lock')));
    expect(held).toContain(true);
    expect(lastConfirmation(screen())[0]).toMatch(/step \d+ of/);
    expect(lastConfirmation(screen()).join('\n')).toContain('Stop kube-apiserver');
    tmux('send-keys', '-t', 'rq', 'y');
    await confirmation(2);
    tmux('send-keys', '-t', 'rq', 'a');
    await waitFor(() => screen().includes('press a again'), { timeoutMs: 5000, what: 'the abort question' });
    tmux('send-keys', '-t', 'rq', 'a');
    await waitFor(() => /EXIT=\d/.test(screen()), { timeoutMs: 60_000, what: 'the end of the run' });
    expect(screen()).toContain('EXIT=5');
    const events = readAuditEvents(abortDir);
    const abort = events.find((e) => e.type === 'abort');
    expect(abort).toMatchObject({ how: 'prompt' });
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'aborted' });
    // Nothing ran from the aborted step on.
    const at = events.indexOf(abort!);
    expect(events.slice(at).filter((e) => e.type === 'cmd.start')).toEqual([]);
    for (const m of lab.members)
      expect(await hostExists(lab, m.name, '/backup/.lifeboat-lock'), m.name).toBe(false);

    // What the abort left: every API server manifest parked, named per host with the command that moves it back.
    const after = screen().slice(screen().lastIndexOf('press a again'));
    expect(after).not.toMatch(/healthy/i);
    expect(events.find((e) => e.type === 'diagnosis' && e.when === 'after')?.verdict).not.toBe('healthy');
    const left = events.find((e) => e.type === 'left')?.items as
      Array<{ member: string; stateId: string; undo: string[] }> | undefined;
    for (const m of loadInventory(lab.inventoryPath).members) {
      const manifest = m.apiserverManifest;
      const parked = `${dirname(dirname(manifest))}/manifests-stopped-by-lifeboat/${basename(manifest)}`;
      expect(await hostExists(lab, m.name, parked), m.name).toBe(true);
      expect(after, m.name).toMatch(
        new RegExp(`${m.name}: stopped: Stop kube-apiserver.*\\(stop/stop-apiservers\\)`),
      );
      expect(after, m.name).toContain(`undo on ${m.name}:`);
      const mine = left?.find((l) => l.member === m.name && l.stateId === 'stop/stop-apiservers');
      expect(mine?.undo.join('\n'), m.name).toContain(parked);
      expect(after).toContain(mine!.undo[0]!.split('\n')[0]!.slice(0, 100));
      // The listed undo works: run on the host, it puts the manifest back.
      for (const c of mine!.undo) expect((await labExec(lab, m.name, c)).code, c).toBe(0);
      expect(await hostExists(lab, m.name, manifest), m.name).toBe(true);
    }
    const r = await cli(['resume', abortDir]);
    expectCode(r, 2);
    expect(r.stderr).toMatch(/was aborted \(aborted by .+ before \S+\).*cannot be resumed/);
    tmux('kill-session', '-t', 'rq');
  }, 300_000);

  it('confirmations in words fit 15 lines; d shows the commands; n stops with exit 4 and the resume line; y runs on', async () => {
    const cmd = `cd ${ROOT} && env -u CI node bin/lifeboat run recover-quorum -i ${lab.inventoryPath} --run-dir ${runDir}; echo EXIT=$?; sleep 3600`;
    tmux('new-session', '-d', '-s', 'rq', '-x', '120', '-y', '50', cmd);
    const prompt = (n: number) =>
      waitFor(() => (screen().split('[y] run it').length - 1 >= n ? true : /EXIT=\d/.test(screen())), {
        timeoutMs: 120_000,
        what: `confirmation ${n}`,
      });
    await prompt(1);
    const first = lastConfirmation(screen());
    expect(first.length).toBeLessThanOrEqual(15);
    expect(first.join('\n')).toMatch(/step \d+ of \d+/);
    expect(first.join('\n')).toMatch(/stays down until step \d+/);
    for (const l of first) expect(l.length).toBeLessThanOrEqual(120);
    // Commands are hidden until asked for.
    expect(screen()).not.toContain('ss -Hltn');
    tmux('send-keys', '-t', 'rq', 'd');
    await waitFor(() => screen().includes('── cp-1') && screen().includes('ss -Hltn'), {
      timeoutMs: 5000,
      what: 'commands',
    });
    // Each host is named in exactly one group: identical command lists are shown once.
    const groups = screen()
      .split('\n')
      .filter((l) => l.startsWith('── '));
    for (const m of lab.members) expect(groups.filter((g) => g.includes(m.name)).length, m.name).toBe(1);
    tmux('send-keys', '-t', 'rq', 'n');
    await waitFor(() => screen().includes('EXIT=4'), { timeoutMs: 20_000, what: 'exit 4' });
    expect(screen()).toContain(`lifeboat resume ${runDir} --approve stop-apiservers`);

    // A second operator's terminal: lifeboat watch, redrawn as the audit log grows.
    const watched = watchPlain(runDir);
    await waitFor(
      () => watched.some((w) => w.text.includes('WAITING FOR APPROVAL before stop/stop-apiservers')),
      {
        timeoutMs: 10_000,
        what: 'watch: waiting for approval',
      },
    );

    // Resume in the same terminal and answer y to every confirmation, each checked on the screen.
    tmux(
      'respawn-pane',
      '-k',
      '-t',
      'rq',
      `cd ${ROOT} && env -u CI node bin/lifeboat resume ${runDir}; echo EXIT=$?; sleep 3600`,
    );
    let asked = 0;
    for (;;) {
      const seen = await waitFor(
        () => {
          const s = screen();
          return s.includes('EXIT=')
            ? 'end'
            : s.split('[y] run it').length - 1 > asked
              ? 'prompt'
              : undefined;
        },
        { timeoutMs: 170_000, what: `confirmation ${asked + 1} or the end` },
      );
      if (seen === 'end') break;
      asked++;
      const c = lastConfirmation(screen());
      expect(c.length).toBeLessThanOrEqual(15);
      tmux('send-keys', '-t', 'rq', 'y');
    }
    expect(screen()).toContain('EXIT=0');
    expect(asked).toBeGreaterThanOrEqual(4);
    // The progress display says step N of M and never shows a step twice; command lines stay hidden (no -v).
    const done = progress(screen());
    expect(done.length).toBeGreaterThan(10);
    expect(new Set(done.map((d) => d.stateId)).size).toBe(done.length);
    expect(new Set(done.map((d) => d.n)).size).toBe(done.length);
    for (const d of done) expect(d.n).toBeLessThanOrEqual(d.of);
    expect(screen()).not.toMatch(/^\s*cp-\d\$ /m);

    // The watcher followed: steps in order, each within 3 s of its audit entry, then the end.
    await waitFor(() => watched.some((w) => / · done/.test(w.text.split('\n')[0] ?? '')), {
      timeoutMs: 5000,
      what: 'watch: the run done',
    });
    const starts = new Map(
      readAuditEvents(runDir)
        .filter((e) => e.type === 'step.start')
        .map((e) => [e.stateId!, Date.parse(e.ts as string)]),
    );
    const followed: Array<{ n: number; stateId: string; lag: number }> = [];
    for (const w of watched) {
      const m = /step (\d+) of \d+: (\S+)/.exec(w.text);
      if (!m || followed.at(-1)?.stateId === m[2]) continue;
      followed.push({ n: Number(m[1]), stateId: m[2]!, lag: w.at - (starts.get(m[2]!) ?? NaN) });
    }
    expect(followed.length).toBeGreaterThanOrEqual(5);
    followed.slice(1).forEach((f, i) => expect(f.n, f.stateId).toBeGreaterThan(followed[i]!.n));
    // The first one was already shown when the watcher started; the rest are changes it picked up.
    for (const f of followed.slice(1)) expect(f.lag, f.stateId).toBeLessThan(3000);
    process.kill(watcher!.pid!, 'SIGTERM');
    expectSameData(await clusterValues(lab), before);
  }, 400_000);

  it('report --format html of that run: every step of the path drawn, the two headline times, the interruption', async () => {
    expectCode(await cli(['report', runDir, '--format', 'html']), 0);
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    const doc = parseXml(
      html.replace(/<!doctype html>/i, '').replace('<meta charset="utf-8">', '<meta charset="utf-8"/>'),
    );
    const marked = findAll(doc, (n) => n.name === 'g' && /\b(done|retried)\b/.test(n.attrs.class ?? ''));
    const started = stepsRun(runDir);
    expect(started.length).toBeGreaterThan(10);
    for (const s of started) expect(marked.map((n) => n.attrs['data-state'])).toContain(s);
    expect(findAll(doc, (n) => n.attrs.id === 'api-back')[0]!.text).toMatch(/\d+(\.\d)? s/);
    expect(findAll(doc, (n) => n.attrs.id === 'full-redundancy')[0]!.text).toMatch(/\d+(\.\d)? s/);
    expect(findAll(doc, (n) => n.attrs.class === 'lb-gap').length).toBe(1);
    // Facts before (quorum lost) and after (healthy again), as diagnose tables.
    const diag = findAll(doc, (n) => n.attrs.class === 'diagnosis');
    expect(diag).toHaveLength(2);
    for (const d of diag) expect(d.text).toMatch(/MEMBER\s+SSH\s+ETCD/);
    expect(html).toMatch(/id="facts-before".*?<b class="bad">quorum-lost<\/b>/s);
    expect(html).toMatch(/id="facts-after".*?<b class="ok">healthy<\/b>/s);
    expect(
      findAll(doc, (n) => n.name === 'rect' && (n.attrs.class ?? '').startsWith('lb-bar')).length,
    ).toBeGreaterThan(10);
  });

  it('Ctrl-C mid-step (progress on screen): exit 130, recorded, resume line; resume finishes with the data intact', async () => {
    const healthy = await clusterValues(lab);
    expectSameData(healthy, before);
    await labBreak(lab, 'lose-quorum');
    const intDir = join(dir, 'interrupted');
    const cmd = `cd ${ROOT} && env -u CI node bin/lifeboat run recover-quorum -i ${lab.inventoryPath} --run-dir ${intDir} --yes; echo EXIT=$?; sleep 3600`;
    tmux('new-session', '-d', '-s', 'ic', '-x', '120', '-y', '50', cmd);
    // A command in flight after the first approval: the run is inside a destructive step.
    const inFlight = () => {
      const events = readAuditEvents(intDir);
      const from = events.findIndex((e) => e.type === 'approval');
      const ended = new Set(
        events.filter((e) => e.type === 'cmd.end').map((e) => `${e.stateId}|${e.member}|${e.index}`),
      );
      return (
        from >= 0 &&
        events
          .slice(from)
          .some((e) => e.type === 'cmd.start' && !ended.has(`${e.stateId}|${e.member}|${e.index}`))
      );
    };
    await waitFor(inFlight, { timeoutMs: 170_000, intervalMs: 20, what: 'a command in flight' });
    tmux('send-keys', '-t', 'ic', 'C-c');
    const end = () => tmux('capture-pane', '-p', '-J', '-S', '-2000', '-t', 'ic');
    await waitFor(() => /EXIT=\d+/.test(end()), {
      timeoutMs: 60_000,
      what: 'the end of the interrupted run',
    });
    expect(end()).toContain('EXIT=130');
    expect(end()).not.toContain('Interrupted.');
    expect(end()).toContain(`resume it: lifeboat resume ${intDir}`);
    expect(end().split('resume it:').length - 1).toBe(1);
    const events = readAuditEvents(intDir);
    const stop = events.find((e) => e.type === 'interrupt');
    expect(stop).toMatchObject({ signal: 'SIGINT' });
    expect(stop?.stateId).toMatch(/\//);
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'interrupted' });
    // The cluster lock stays held for the resume, as after n; the run dir's own lock is released (resume takes it).
    const held = await Promise.all(lab.members.map((m) => hostExists(lab, m.name, '/backup/.lifeboat-lock')));
    expect(held).toContain(true);
    tmux('kill-session', '-t', 'ic');

    const r = await cli(['resume', intDir, '--yes'], 400_000);
    expectCode(r, 0);
    const after = readAuditEvents(intDir);
    expect(
      after.slice(after.indexOf(after.find((e) => e.type === 'interrupt')!)).map((e) => e.type),
    ).toContain('run.resume');
    expect(after.at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    expectSameData(await clusterValues(lab), before);
  }, 700_000);
});
