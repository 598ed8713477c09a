// A forged run dir (statuses and names in audit.jsonl carrying markup) opened where people look at runs, in a real
// browser (Debian's chromium via playwright-core): the HTML report and the live page run no script of it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/engine/record/audit.js';
import type { RunEvent } from '../../src/engine/events.js';
import type { RunRecord } from '../../src/engine/record/rundir.js';
import { compile } from '../../src/engine/machine.js';
import { loadRunbook } from '../../src/engine/registry.js';
import { timeline } from '../../src/documents/timeline.js';
import { reportHtml } from '../../src/documents/report-html.js';
import { liveFragment, livePage } from '../../src/live/page.js';
import { serveLive, type LiveServer } from '../../src/live/server.js';

const PAYLOADS = [
  `<img src=x onerror="document.title='pwned'">`,
  `"><svg onload="document.title='pwned'">`,
  `</title><script>document.title='pwned'</script>`,
];
const forged = PAYLOADS.join(' ');

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-forged-'));
let browser: Browser;
let live: LiveServer | undefined;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await live?.close();
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

function entries(): AuditEntry[] {
  const ev: RunEvent[] = [
    {
      type: 'run.start',
      runId: 'r1',
      runbook: 'recover-quorum',
      runbookHash: 'h'.repeat(64),
      inventory: 'i',
      inventoryHash: 'i',
      cluster: forged,
      operator: { user: forged, host: 'box' },
      dryRun: false,
      params: {},
    },
    { type: 'step.start', stateId: 'save/config', title: forged, hosts: [forged] },
    { type: 'step.end', stateId: 'save/config', status: forged as never, durationMs: 1000 },
    { type: 'run.end', status: forged as never },
  ];
  return ev.map((e, i) => ({
    ...e,
    seq: i,
    ts: new Date(1_800_000_000_000 + i * 1000).toISOString(),
    prevHash: '',
    hash: '',
  }));
}

/** Opens `url`, waits for the page to settle, returns its title (a payload that ran would have set it). */
async function titleAfterLoad(url: string): Promise<{ title: string; text: string }> {
  const page = await browser.newPage();
  try {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(500);
    return { title: await page.title(), text: await page.innerText('body') };
  } finally {
    await page.close();
  }
}

describe('a forged status in audit.jsonl', () => {
  it('runs no script in the HTML report', async () => {
    const { def } = await loadRunbook('recover-quorum');
    const e = entries();
    const record = {
      runId: 'r1',
      runbook: 'recover-quorum',
      runbookHash: 'h'.repeat(64),
      startedAt: '',
      plan: { cluster: 'lab', topology: 'static-pod' },
    } as unknown as RunRecord;
    const html = reportHtml(
      record,
      timeline(e),
      { ok: true, entries: e.length, head: 'abc' } as never,
      compile(def),
      e,
    );
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const { title, text } = await titleAfterLoad(`file://${file}`);
    expect(title).not.toBe('pwned');
    // The payload is shown as text, not dropped: the reader sees what was forged.
    expect(text).toContain('onerror="document.title=\'pwned\'"');
  });

  it('runs no script on the live page', async () => {
    const { def } = await loadRunbook('recover-quorum');
    const compiled = compile(def);
    const e = entries();
    const t = timeline(e);
    live = await serveLive(
      {
        runDir: dir,
        auditPath: join(dir, 'audit.jsonl'),
        render: () =>
          liveFragment(
            {
              runId: forged,
              runbook: forged,
              status: forged,
              current: { stateId: forged, title: forged, phase: forged, n: 1, of: 2 },
              waiting: { stateId: forged, hint: forged },
              hosts: { [forged]: { step: forged, state: forged } },
              lastAt: forged,
              entries: e.length,
              t,
            },
            e,
            compiled,
          ),
      },
      '127.0.0.1',
      0,
      livePage,
    );
    const { title, text } = await titleAfterLoad(live.url);
    expect(title).toBe('Lifeboat live');
    expect(text).toContain('<svg onload=');
  });
});
