// What the incident channel and the postmortem author see, in a real browser (Debian's chromium via playwright-core):
// the live page during a recover-quorum lab run (a confirmation open on the operator's terminal in tmux, then
// waiting for approval, step changes within 2 s, token required),
// then the report of that run, which was stopped for an approval, killed with -9 and resumed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, waitFor, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectSameData,
  readAuditEvents,
  ROOT,
  stepsRun,
} from './runbook-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-browser-'));
const IMG = join(ROOT, 'docs/img');
const runDir = join(dir, 'run');
let lab: Lab;
let browser: BrowserContext;
let watcher: ChildProcess | undefined;
const SOCK = `lifeboat-browser-${process.pid}`;
const tmux = (...a: string[]) => execFileSync('tmux', ['-L', SOCK, ...a], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-2000', '-t', 'op');

beforeAll(async () => {
  lab = await labUp({ dir: join(dir, 'lab'), members: 3, mode: 'static-pod', seedData: true });
  // A fresh profile dir per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(join(dir, 'chromium'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(IMG, { recursive: true });
});
afterAll(async () => {
  if (watcher?.pid !== undefined && watcher.exitCode === null) process.kill(watcher.pid, 'SIGTERM');
  try {
    tmux('kill-server');
  } catch {
    // no tmux server left
  }
  await browser?.close();
  await labDown(join(dir, 'lab'));
  rmSync(dir, { recursive: true, force: true });
});

/** `lifeboat watch RUN --serve 127.0.0.1:0`; resolves with the URL it prints once. */
async function serve(): Promise<string> {
  watcher = spawn('node', [join(ROOT, 'bin/lifeboat'), 'watch', runDir, '--serve', '127.0.0.1:0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  watcher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return waitFor(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out)?.[0], {
    timeoutMs: 20_000,
    what: 'the live URL',
  });
}

/** `lifeboat ARGS` killed with SIGKILL (by its pid) once the audit log shows `at`. */
async function killAt(
  args: string[],
  at: (e: ReturnType<typeof readAuditEvents>[number]) => boolean,
): Promise<void> {
  const child = spawn('node', [join(ROOT, 'bin/lifeboat'), ...args], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise((res) => child.on('exit', res));
  try {
    await waitFor(() => child.exitCode === null && readAuditEvents(runDir).some(at), {
      timeoutMs: 170_000,
      intervalMs: 20,
      what: 'the kill point',
    });
  } finally {
    if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
  }
  await exited;
}

/** Every change of the page's current step, with how long after its audit entry the page showed it. */
function followSteps(page: Page): { lags: Array<[string, number]>; stop: () => Promise<void> } {
  const lags: Array<[string, number]> = [];
  let last: string | null | undefined;
  let on = true;
  const loop = (async () => {
    // The step already shown when following starts is not a change.
    last = await page.locator('#status').getAttribute('data-step');
    while (on) {
      const step = await page
        .locator('#status')
        .getAttribute('data-step')
        .catch(() => null);
      if (step && step !== last) {
        const now = Date.now();
        last = step;
        const e = [...readAuditEvents(runDir)]
          .reverse()
          .find((x) => x.type === 'step.start' && x.stateId === step);
        if (e) lags.push([step, now - Date.parse(e.ts as string)]);
      }
      await page.waitForTimeout(50);
    }
  })();
  return {
    lags,
    stop: async () => {
      on = false;
      await loop;
    },
  };
}

describe('in a browser', () => {
  it('live page: token required, waiting for approval shown, step changes within 2 s; the data survives', async () => {
    const before = await clusterValues(lab);
    await labBreak(lab, 'lose-quorum');
    // The operator's terminal (tmux): the run asks at the first destructive step and waits there.
    const cmd = `cd ${ROOT} && env -u CI node bin/lifeboat run recover-quorum -i ${lab.inventoryPath} --run-dir ${runDir}; echo EXIT=$?; sleep 3600`;
    tmux('new-session', '-d', '-s', 'op', '-x', '120', '-y', '50', cmd);
    await waitFor(() => screen().includes('[y] run it') || /EXIT=\d/.test(screen()), {
      timeoutMs: 170_000,
      what: 'the first confirmation',
    });
    const url = await serve();
    const base = url.replace(/\?.*/, '');
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(`${base}?token=${'0'.repeat(48)}`)).status).toBe(403);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);

    const page = await browser.newPage();
    await page.goto(url);
    // While the confirmation is open, not only after it was declined.
    await expect
      .poll(() => page.locator('#waiting').textContent())
      .toMatch(/WAITING FOR APPROVAL before stop\/stop-apiservers.*a confirmation is open/s);
    tmux('send-keys', '-t', 'op', 'n');
    await waitFor(() => /EXIT=\d/.test(screen()), { timeoutMs: 60_000, what: 'the stop' });
    expect(screen()).toContain('EXIT=4');
    tmux('kill-session', '-t', 'op');
    await expect
      .poll(() => page.locator('#waiting').textContent())
      .toMatch(/WAITING FOR APPROVAL before stop\/stop-apiservers.*--approve stop-apiservers/s);
    await page.screenshot({ path: join(IMG, 'live-waiting.png') });

    const follow = followSteps(page);
    await killAt(
      ['resume', runDir, '--yes'],
      (e) => e.type === 'cmd.start' && e.stateId === 'rejoin/rejoin' && e.index === 3,
    );
    await page.screenshot({ path: join(IMG, 'live-running.png') });
    // The last resume serves the same page itself (--serve): its URL printed once, the token required.
    const own = spawn(
      'node',
      [join(ROOT, 'bin/lifeboat'), 'resume', runDir, '--yes', '--serve', '127.0.0.1:0'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    own.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const ended = new Promise<number | null>((res) => own.on('exit', (code) => res(code)));
    const ownUrl = await waitFor(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}/.exec(err)?.[0], {
      timeoutMs: 60_000,
      what: 'the URL of resume --serve',
    });
    expect((await fetch(ownUrl.replace(/\?.*/, ''))).status).toBe(401);
    const own200 = await fetch(ownUrl);
    expect(own200.status).toBe(200);
    expect(await own200.text()).toContain('id="status"');
    expect(await ended).toBe(0);
    expect(err.match(/token=/g)).toHaveLength(1);
    await expect
      .poll(() => page.locator('#status').getAttribute('data-status'), { timeout: 5000 })
      .toBe('done');
    await follow.stop();
    expect(follow.lags.length).toBeGreaterThanOrEqual(3);
    for (const [step, lag] of follow.lags) expect(lag, step).toBeLessThan(2000);
    expectSameData(await clusterValues(lab), before);
  }, 400_000);

  it('report of the stopped, killed and resumed run: every step of the path drawn, the interruptions, headline times', async () => {
    expectCode(await cli(['report', runDir, '--format', 'html']), 0);
    const page = await browser.newPage();
    await page.goto(`file://${join(runDir, 'report.html')}`);
    const withCommands = new Set(
      readAuditEvents(runDir).flatMap((e) => (e.type === 'cmd.start' ? [e.stateId] : [])),
    );
    for (const s of stepsRun(runDir)) {
      const cls = await page.locator(`svg.lb-diagram g[data-state="${s}"]`).getAttribute('class');
      expect(cls, s).toMatch(/\b(done|retried)\b/);
      if (withCommands.has(s))
        expect(await page.locator(`svg.lb-gantt rect[data-state="${s}"]`).count(), s).toBeGreaterThan(0);
    }
    expect(await page.locator('svg.lb-gantt .lb-gap').count()).toBe(2);
    expect(await page.locator('pre.diagnosis').count()).toBe(2);
    expect(await page.locator('#facts-after + p').textContent()).toMatch(/healthy/);
    expect(await page.locator('#api-back').textContent()).toMatch(/\d/);
    expect(await page.locator('#full-redundancy').textContent()).toMatch(/\d/);
    await page.screenshot({ path: join(IMG, 'report.png'), fullPage: false });
    await page.locator('svg.lb-gantt').screenshot({ path: join(IMG, 'report-timeline.png') });
    await page.locator('svg.lb-diagram').screenshot({ path: join(IMG, 'report-path.png') });
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.length).toBeGreaterThan(10_000);
  }, 120_000);
});
