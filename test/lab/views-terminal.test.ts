// The commander's terminal, used the way a person uses it: recover-quorum in a tmux pseudo-terminal at 120 columns,
// keys sent, the screen read back; then the postmortem report of that run.
// The person at this terminal is not CI: the CLI runs with CI unset even when the suite runs under CI=true.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, waitFor, type Lab } from '../../src/lab/index.js';
import { findAll, parseXml } from '../helpers/xml.js';
import { cli, clusterValues, expectCode, expectSameData, ROOT, stepsRun } from './runbook-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-views-'));
const SOCK = `lifeboat-views-${process.pid}`;
const tmux = (...a: string[]) => execFileSync('tmux', ['-L', SOCK, ...a], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-2000', '-t', 'rq');
let lab: Lab;

beforeAll(async () => {
  lab = await labUp({ dir: join(dir, 'lab'), members: 3, mode: 'static-pod', seedData: true });
});
afterAll(async () => {
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

describe('commander terminal (tmux, 120 columns)', () => {
  const runDir = join(dir, 'run');
  it('confirmations in words fit 15 lines; d shows the commands; n stops with exit 4 and the resume line; y runs on', async () => {
    const before = await clusterValues(lab);
    await labBreak(lab, 'lose-quorum');
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
    tmux('send-keys', '-t', 'rq', 'n');
    await waitFor(() => screen().includes('EXIT=4'), { timeoutMs: 20_000, what: 'exit 4' });
    expect(screen()).toContain(`lifeboat resume ${runDir} --approve stop-apiservers`);

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
    // The progress display never shows a step twice.
    const done = screen()
      .split('\n')
      .filter((l) => /^✔ \[step \d+/.test(l))
      .map((l) => /\] (\S+):/.exec(l)?.[1]);
    expect(new Set(done).size).toBe(done.length);
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
    expect(
      findAll(doc, (n) => n.name === 'rect' && (n.attrs.class ?? '').startsWith('lb-bar')).length,
    ).toBeGreaterThan(10);
  });
});
