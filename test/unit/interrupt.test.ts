// Interrupts, aborts and open confirmations: the engine records a signal and stops resumable (exit 130), an abort
// lists what it leaves stopped with the commands that undo it, and the live state shows a confirmation while open.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sh } from '../../src/shell/sh.js';
import { EXIT, exitCodeFor, exitForStatus } from '../../src/errors/exit.js';
import { defineRunbook, phase } from '../../src/engine/define.js';
import { compile } from '../../src/engine/machine.js';
import { readAudit, verifyAudit } from '../../src/engine/record/audit.js';
import { foldJournal } from '../../src/engine/record/journal.js';
import { runFiles } from '../../src/engine/record/rundir.js';
import { leftBehind } from '../../src/engine/leftover.js';
import type { RunEvent } from '../../src/engine/events.js';
import type { ExecResult } from '../../src/shell/executor.js';
import { withLeftBehind } from '../../src/cli/diagnose/record.js';
import { formatEvent, leftLines } from '../../src/render/format.js';
import { liveState } from '../../src/live/state.js';
import { liveFragment } from '../../src/live/page.js';
import { terminalLines } from '../../src/cli/watch/index.js';
import { executeRun, newRun, testDeps } from '../helpers/engine-run.js';
import { FakeExecutor } from '../helpers/fake-executor.js';

const rb = defineRunbook({
  id: 'unit-stop',
  title: 'stop, change, start',
  summary: 's',
  when: 'w',
  params: z.object({}).strict(),
  nodes: [
    phase('stop', 'Stop', [
      {
        id: 'stop-api',
        title: 'Stop the API',
        targets: { kind: 'all' },
        destructive: true,
        actions: (c) => [{ kind: 'sh', script: sh`park ${c.member.name}` }],
        check: (c) => sh`parked ${c.member.name}`,
      },
    ]),
    phase('work', 'Work', [
      {
        id: 'rebuild',
        title: 'Rebuild',
        targets: { kind: 'each' },
        destructive: true,
        changes: 'moves the data aside',
        actions: (c) => [{ kind: 'sh', script: sh`rebuild ${c.member.name}` }],
        check: (c) => sh`rebuilt ${c.member.name}`,
      },
    ]),
    phase('start', 'Start', [
      {
        id: 'start-api',
        title: 'Start the API',
        targets: { kind: 'all' },
        actions: (c) => [{ kind: 'sh', script: sh`unpark ${c.member.name}` }],
      },
    ]),
  ],
});

const setup = () => newRun(rb, { prefix: 'lb-interrupt-' });
const all = { all: true, steps: new Set<string>() };

/** A fake host whose `rebuild b` hangs until released: a step in flight when the signal comes. */
class HangingExecutor extends FakeExecutor {
  started: () => void = () => undefined;
  override async exec(member: string, command: string): Promise<ExecResult> {
    if (command.startsWith('rebuild b')) {
      this.calls.push({ member, command });
      this.started();
      return new Promise<ExecResult>(() => undefined);
    }
    return super.exec(member, command);
  }
}

describe('interrupts', () => {
  it('exit 130 for an interrupted run and for an interrupt before it started, in src/errors', () => {
    expect(EXIT.interrupted).toBe(130);
    expect(exitForStatus('interrupted')).toBe(130);
    expect(exitCodeFor('interrupted')).toBe(130);
    const codes = (['done', 'failed', 'aborted', 'refused', 'awaiting-approval', 'interrupted'] as const).map(
      exitForStatus,
    );
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('a signal mid-step is recorded, nothing is recorded after it, and resume re-checks the step and finishes', async () => {
    const s = setup();
    const ex = new HangingExecutor((_m, c) => (c.startsWith('rebuilt') ? { exitCode: 1 } : {}));
    const ctl = new AbortController();
    ex.started = () => ctl.abort('SIGINT');
    const events: RunEvent[] = [];
    const d = { ...testDeps(ex, { events }), interrupt: ctl.signal };
    expect(await executeRun(s, d, { approvals: all })).toBe('interrupted');
    const entries = readAudit(runFiles(s.runDir).audit);
    expect(entries.at(-2)).toMatchObject({ type: 'interrupt', signal: 'SIGINT', stateId: 'work/rebuild' });
    expect(entries.at(-1)).toMatchObject({ type: 'run.end', status: 'interrupted' });
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'interrupted' });
    expect(verifyAudit(runFiles(s.runDir).audit).ok).toBe(true);
    expect(foldJournal(entries).final).toBe('interrupted');

    // Resume: b's rebuild has not happened (its check fails), so it runs again; a's passed its check.
    const ex2 = new FakeExecutor((m, c) => (c === `rebuilt ${m}` ? { exitCode: m === 'a' ? 0 : 1 } : {}));
    const opening: RunEvent[] = [
      { type: 'run.resume', by: 'tester', acceptedChangedRunbook: false, from: 'interruption' },
    ];
    expect(await executeRun(s, testDeps(ex2), { approvals: all, opening })).toBe('done');
    const cmds = ex2.calls.map((c) => c.command);
    expect(cmds).toContain('rebuild b');
    expect(cmds).not.toContain('rebuild a');
    expect(cmds).toContain('unpark a');
    expect(foldJournal(readAudit(runFiles(s.runDir).audit)).final).toBe('done');
  });

  it('a signal before any step stops the run before it runs anything', async () => {
    const s = setup();
    const ex = new FakeExecutor();
    const ctl = new AbortController();
    ctl.abort('SIGTERM');
    expect(await executeRun(s, { ...testDeps(ex), interrupt: ctl.signal }, { approvals: all })).toBe(
      'interrupted',
    );
    expect(ex.calls).toEqual([]);
    const entries = readAudit(runFiles(s.runDir).audit);
    expect(entries.find((e) => e.type === 'interrupt')).toMatchObject({ signal: 'SIGTERM' });
    expect(entries.some((e) => e.type === 'step.start')).toBe(false);
  });
});

describe('abort', () => {
  it('a a after the stop lists each stopped host with the start step commands that undo it, never healthy', async () => {
    const s = setup();
    const ex = new FakeExecutor();
    const d = testDeps(ex, { interactive: true, answers: [true, 'abort'] });
    d.closing = async (_status, left) => [
      withLeftBehind({ type: 'diagnosis', when: 'after', verdict: 'healthy', text: 'etcd table' }, left),
    ];
    expect(await executeRun(s, d)).toBe('aborted');
    const entries = readAudit(runFiles(s.runDir).audit);
    const left = entries.find((e) => e.type === 'left');
    expect(left?.type === 'left' && left.items).toEqual([
      { member: 'a', stateId: 'stop/stop-api', what: 'stopped: Stop the API', undo: ['unpark a'] },
      { member: 'b', stateId: 'stop/stop-api', what: 'stopped: Stop the API', undo: ['unpark b'] },
    ]);
    const diag = entries.find((e) => e.type === 'diagnosis');
    expect(diag).toMatchObject({ verdict: 'degraded' });
    const printed = entries.map((e) => formatEvent(e) ?? '').join('\n');
    expect(printed).not.toMatch(/healthy/);
    expect(printed).toMatch(/a: stopped: Stop the API \(stop\/stop-api\)\n\s+undo on a:\n\s+unpark a/);
  });

  it('lists changes made, skips what the start step already brought back, and says when nothing is left', () => {
    const s = setup();
    const j = foldJournal([]);
    expect(leftBehind(s.plan, j)).toEqual([]);
    expect(leftLines([])).toEqual(['the aborted run left nothing stopped or changed on any host']);
    j.steps.set('stop/stop-api', { started: true, ended: 'done' });
    j.steps.set('work/rebuild', { started: true });
    j.hosts.set('work/rebuild|a', { started: true, ended: 'done' });
    expect(leftBehind(s.plan, j).map((l) => `${l.member} ${l.what}`)).toEqual([
      'a stopped: Stop the API',
      'b stopped: Stop the API',
      'a changed: moves the data aside',
    ]);
    j.steps.set('start/start-api', { started: true, ended: 'done' });
    expect(leftBehind(s.plan, j).map((l) => l.what)).toEqual(['changed: moves the data aside']);
  });
});

describe('open confirmation', () => {
  it('the live state shows the banner while a confirmation is open, and not once it is answered', async () => {
    const s = setup();
    const compiled = compile(rb);
    const seen: Array<string | undefined> = [];
    const pages: string[] = [];
    const screens: string[] = [];
    const d = testDeps(new FakeExecutor(), { interactive: true });
    d.prompter = {
      ...d.prompter,
      confirm: async () => {
        const st = liveState(readAudit(runFiles(s.runDir).audit), s.plan, compiled);
        seen.push(st.waiting ? `${st.waiting.stateId}: ${st.waiting.hint}` : undefined);
        pages.push(liveFragment(st, readAudit(runFiles(s.runDir).audit), compiled));
        screens.push(terminalLines(st).join('\n'));
        return true;
      },
    };
    expect(await executeRun(s, d)).toBe('done');
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^stop\/stop-api: a confirmation is open on the operator's terminal/);
    expect(seen[1]).toMatch(/^work\/rebuild: a confirmation is open/);
    const end = liveState(readAudit(runFiles(s.runDir).audit), s.plan, compiled);
    expect(end.waiting).toBeUndefined();
    // `lifeboat watch` in a terminal, and the live page's fragment: the banner while the confirmation is open, none once the run went on.
    expect(pages[0]).toMatch(
      /id="waiting">■ WAITING FOR APPROVAL before stop\/stop-api<br\/><small>a confirmation is open/,
    );
    expect(liveFragment(end, readAudit(runFiles(s.runDir).audit), compiled)).not.toContain('id="waiting"');
    expect(screens[0]).toMatch(/^■ WAITING FOR APPROVAL before stop\/stop-api: a confirmation is open/m);
    expect(terminalLines(end).join('\n')).not.toContain('WAITING');
  });

  it('after an interrupt the hosts no longer show a running command', async () => {
    const s = setup();
    const ex = new HangingExecutor();
    const ctl = new AbortController();
    ex.started = () => ctl.abort('SIGINT');
    await executeRun(s, { ...testDeps(ex), interrupt: ctl.signal }, { approvals: all });
    const st = liveState(readAudit(runFiles(s.runDir).audit), s.plan, compile(rb));
    expect(st.status).toBe('interrupted');
    expect(Object.values(st.hosts).map((h) => h.state)).not.toContain('running command 1');
    expect(st.hosts.b?.state).toBe('interrupted (running command 1)');
  });
});
