import { sh } from '../../src/shell/sh.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LifeboatError } from '../../src/errors/error.js';
import { Redactor } from '../../src/secrets/redact.js';
import { readAudit, verifyAudit } from '../../src/engine/record/audit.js';
import { timeline } from '../../src/documents/timeline.js';
import { foldJournal } from '../../src/engine/record/journal.js';
import { EXIT, exitForStatus } from '../../src/errors/exit.js';
import { mermaid } from '../../src/documents/mermaid.js';
import { reportMarkdown } from '../../src/documents/report.js';
import { decision, defineRunbook, phase } from '../../src/engine/define.js';
import { compile } from '../../src/engine/machine.js';
import { runFiles } from '../../src/engine/record/rundir.js';
import type { RunEvent } from '../../src/engine/events.js';
import { executeRun, newRun, testDeps } from '../helpers/engine-run.js';
import { FakeExecutor, type Answer } from '../helpers/fake-executor.js';

const rb = defineRunbook({
  id: 'unit',
  title: 'unit test runbook',
  summary: 's',
  when: 'w',
  params: z.object({ way: z.enum(['x', 'y', 'no']).optional(), password: z.string().optional() }).strict(),
  nodes: [
    phase('one', 'One', [
      {
        id: 'look',
        title: 'read',
        targets: { kind: 'each' },
        actions: (c) => [{ kind: 'sh', script: sh`look ${c.member.name}` }],
      },
    ]),
    decision({
      id: 'way',
      title: 'Which way?',
      decide: (c) =>
        c.params.way === 'no'
          ? { branch: 'refuse', why: 'asked to refuse' }
          : { branch: c.params.way ?? 'x', why: 'param' },
      branches: {
        x: [
          phase('x', 'X', [
            {
              id: 'cut',
              title: 'cut',
              targets: { kind: 'all' },
              destructive: true,
              changes: 'moves data',
              actions: (c) => [
                { kind: 'sh', script: sh`cut ${c.member.name} --password=${c.params.password ?? 'none'}` },
              ],
              check: (c) => sh`cut-done ${c.member.name}`,
            },
          ]),
        ],
        y: [
          phase('y', 'Y', [
            {
              id: 'other',
              title: 'other',
              targets: { kind: 'each' },
              actions: () => [{ kind: 'sh', script: sh`other` }],
            },
          ]),
        ],
        refuse: 'refuse',
      },
    }),
    phase('end', 'End', [
      {
        id: 'fin',
        title: 'fin',
        targets: { kind: 'pick', members: () => ['a'], describe: 'a' },
        actions: () => [{ kind: 'sh', script: sh`fin` }],
        verify: () => ({ script: sh`ok?`, waitMs: 5000, intervalMs: 1000 }),
      },
    ]),
  ],
});

const setup = (params: Record<string, string> = {}) =>
  newRun(rb, { prefix: 'lb-engine-', params, secretParams: params.password ? [params.password] : [] });
const deps = (
  ex: FakeExecutor,
  events: RunEvent[] = [],
  interactive = false,
  answers: Array<boolean | 'abort'> = [],
) => testDeps(ex, { events, interactive, answers });
const go = executeRun;

describe('plan', () => {
  it('resolves decisions and marks destructive steps, without running anything', () => {
    const s = setup({ way: 'x' });
    expect(s.plan.items.map((i) => i.stateId)).toEqual(['one/look', 'decide/way', 'x/cut', 'end/fin']);
    const cut = s.plan.items.find((i) => i.stateId === 'x/cut');
    expect(cut && cut.kind === 'step' && cut.destructive).toBe(true);
    expect(setup({ way: 'no' }).plan.outcome).toBe('refused');
  });
});

describe('runner', () => {
  it('stops before an unapproved destructive step without a TTY, and continues once approved', async () => {
    const s = setup({ way: 'x' });
    const ex = new FakeExecutor();
    await expect(go(s, deps(ex))).rejects.toMatchObject({ code: 'approval' });
    expect(ex.calls.map((c) => c.command)).toEqual(['look a', 'look b']);
    const st = await go(s, deps(ex), { approvals: { all: false, steps: new Set(['cut']) } });
    expect(st).toBe('done');
    expect(
      ex.calls
        .map((c) => c.command)
        .slice(2)
        .sort(),
    ).toEqual(['cut a --password=none', 'cut b --password=none', 'fin', 'ok?'].sort());
    const entries = readAudit(runFiles(s.runDir).audit);
    expect(entries.find((e) => e.type === 'approval')).toMatchObject({
      stateId: 'x/cut',
      how: 'approve-flag',
      by: 'tester',
    });
    expect(verifyAudit(runFiles(s.runDir).audit).ok).toBe(true);
  });

  it('asks on a terminal and records who approved', async () => {
    const s = setup({ way: 'x' });
    const st = await go(s, deps(new FakeExecutor(), [], true, [true]));
    expect(st).toBe('done');
    expect(readAudit(runFiles(s.runDir).audit).some((e) => e.type === 'approval' && e.how === 'prompt')).toBe(
      true,
    );
  });

  it('a at a confirmation aborts the run: recorded with who and where, nothing more runs, exit 5', async () => {
    const s = setup({ way: 'x' });
    const ex = new FakeExecutor();
    const d = deps(ex, [], true, ['abort']);
    d.closing = async (status) => [{ type: 'diagnosis', when: 'after', verdict: status, text: 't' }];
    expect(await go(s, d)).toBe('aborted');
    expect(ex.calls.map((c) => c.command)).toEqual(['look a', 'look b']);
    const entries = readAudit(runFiles(s.runDir).audit);
    expect(entries.find((e) => e.type === 'abort')).toMatchObject({
      stateId: 'x/cut',
      by: 'tester',
      how: 'prompt',
    });
    expect(entries.some((e) => e.type === 'step.start' && e.stateId !== 'one/look')).toBe(false);
    expect(entries.at(-1)).toMatchObject({
      type: 'run.end',
      status: 'aborted',
      message: 'aborted by tester before x/cut',
    });
    expect(entries.at(-2)).toMatchObject({ type: 'diagnosis', when: 'after', verdict: 'aborted' });
    expect(foldJournal(entries).final).toBe('aborted');
    expect(exitForStatus('aborted')).toBe(EXIT.aborted);
    // Every way a run ends has its own code (EXIT.incomplete shares 1 with failed: it is for decode, not runs).
    const codes = (['done', 'failed', 'aborted', 'refused', 'awaiting-approval'] as const).map(exitForStatus);
    expect(new Set(codes).size).toBe(codes.length);
    expect(verifyAudit(runFiles(s.runDir).audit).ok).toBe(true);
  });

  it('a step interrupted mid-way is re-checked before it runs again; completed hosts are not re-run', async () => {
    const s = setup({ way: 'x' });
    let cut = 0;
    const handler = (m: string, c: string): Answer => {
      if (c.startsWith('cut b') && cut++ < 2)
        return new LifeboatError('unreachable', 'connection lost', { host: m });
      if (c.startsWith('cut-done')) return { exitCode: m === 'a' ? 0 : 1 };
      return {};
    };
    const ex = new FakeExecutor(handler);
    await expect(go(s, deps(ex), { approvals: { all: true, steps: new Set() } })).rejects.toMatchObject({
      code: 'unreachable',
    });
    const ex2 = new FakeExecutor(handler);
    expect(await go(s, deps(ex2), { approvals: { all: true, steps: new Set() } })).toBe('done');
    const cmds = ex2.calls.map((c) => c.command);
    expect(cmds).not.toContain('look a');
    expect(cmds).toContain('cut-done b');
    expect(cmds).toContain('cut b --password=none');
    expect(cmds.filter((c) => c.startsWith('cut a'))).toEqual([]);
  });

  it('a failed step stops the run; resume can skip it (recorded) or abort', async () => {
    const s = setup({ way: 'y' });
    const ex = new FakeExecutor((_m, c) => (c === 'other' ? { exitCode: 3, stderr: 'boom' } : {}));
    const err = await go(s, deps(ex)).catch((e: LifeboatError) => e);
    expect(err).toBeInstanceOf(LifeboatError);
    expect((err as LifeboatError).oneLine()).toMatch(/y\/other failed on a: `other` exited 3: boom/);
    expect(await go(s, deps(ex), { afterFailure: 'skip' })).toBe('done');
    const entries = readAudit(runFiles(s.runDir).audit);
    expect(entries.some((e) => e.type === 'skip' && e.stateId === 'y/other' && e.by === 'tester')).toBe(true);

    const s2 = setup({ way: 'y' });
    await go(s2, deps(ex)).catch(() => undefined);
    expect(await go(s2, deps(ex), { afterFailure: 'abort' })).toBe('aborted');
    expect(readAudit(runFiles(s2.runDir).audit).find((e) => e.type === 'abort')).toMatchObject({
      stateId: 'y/other',
      how: 'flag',
    });
  });

  it('verification polls with a deadline and fails the step when it never passes', async () => {
    const s = setup({ way: 'y' });
    const ex = new FakeExecutor((_m, c) => (c === 'ok?' ? { exitCode: 1, stderr: 'not yet' } : {}));
    await expect(go(s, deps(ex))).rejects.toMatchObject({ code: 'step' });
    expect(ex.calls.filter((c) => c.command === 'ok?').length).toBeGreaterThan(2);
  });

  it('refuses through the machine without running a single command after the decision', async () => {
    const s = setup({ way: 'no' });
    const ex = new FakeExecutor();
    expect(await go(s, deps(ex))).toBe('refused');
    expect(ex.calls.map((c) => c.command)).toEqual(['look a', 'look b']);
  });

  it('secrets never reach the audit log', async () => {
    const s = setup({ way: 'x', password: 'hunter2-very-secret' });
    const d = deps(new FakeExecutor());
    d.redactor = new Redactor(['hunter2-very-secret']);
    await go(s, d, { approvals: { all: true, steps: new Set() } });
    const text = readFileSync(runFiles(s.runDir).audit, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('--password=***');
  });

  it('audit verify detects an edited, a removed and a reordered line', async () => {
    const s = setup({ way: 'y' });
    await go(s, deps(new FakeExecutor()));
    const f = runFiles(s.runDir).audit;
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    expect(verifyAudit(f).ok).toBe(true);
    writeFileSync(
      f,
      lines
        .map((l, i) => (i === 2 ? l.replace(/"ts":"[^"]*"/, '"ts":"2020-01-01T00:00:00.000Z"') : l))
        .join('\n') + '\n',
    );
    expect(verifyAudit(f)).toMatchObject({ ok: false, line: 3 });
    writeFileSync(f, lines.filter((_, i) => i !== 1).join('\n') + '\n');
    expect(verifyAudit(f).ok).toBe(false);
    const swapped = [...lines];
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    writeFileSync(f, swapped.join('\n') + '\n');
    expect(verifyAudit(f).ok).toBe(false);
  });

  it('the report folds the audit into a timeline: decisions, approvals, skips, the path on the diagram', async () => {
    const s = setup({ way: 'x' });
    await go(s, deps(new FakeExecutor(), [], true, [true]));
    const f = runFiles(s.runDir).audit;
    const t = timeline(readAudit(f));
    expect(t.status).toBe('done');
    expect(t.steps.map((x) => [x.stateId, x.status])).toEqual([
      ['one/look', 'done'],
      ['x/cut', 'done'],
      ['end/fin', 'done'],
    ]);
    expect(t.steps[1]!.approvals[0]).toMatch(/^tester \(prompt\)/);
    const diagram = mermaid(compile(rb), t.visited);
    expect(diagram).toMatch(/class .* taken/);
    expect(diagram).toMatch(/class .* destructive/);
    const md = reportMarkdown(s.record, t, verifyAudit(f), diagram);
    expect(md).toContain('**decide/way** → `x`: param');
    expect(md).toContain('verified,');
  });

  it('one lost connection on a step with a check is mended in place: reconnect, re-check, go on', async () => {
    const s = setup({ way: 'x' });
    let cuts = 0;
    const ex = new FakeExecutor((m, c) => {
      if (c.startsWith('cut a') && cuts++ === 0)
        return new LifeboatError('unreachable', 'channel closed without an exit status', { host: m });
      if (c.startsWith('cut-done')) return { exitCode: 1 };
      return {};
    });
    expect(await go(s, deps(ex), { approvals: { all: true, steps: new Set() } })).toBe('done');
    expect(ex.calls.map((c) => c.command).filter((c) => c.startsWith('cut'))).toEqual(
      expect.arrayContaining(['cut a --password=none', 'cut-done a', 'cut a --password=none']),
    );
    expect(
      readAudit(runFiles(s.runDir).audit).some((e) => e.type === 'warning' && /reconnecting/.test(e.message)),
    ).toBe(true);
  });
});
