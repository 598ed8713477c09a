import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get, request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isLoopback,
  LIVE_LIMITS,
  serveLive,
  tokenOk,
  type LiveServer,
  type PageArgs,
} from '../../src/live/server.js';
import { badTokens, hostileRequests, rawGet } from '../helpers/hostile-http.js';
import { parseServe } from '../../src/cli/watch/index.js';
import { parseServe as serveFlag } from '../../src/live/serve-run.js';
import { waitFor } from '../../src/lab/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'lb-live-'));
const audit = join(dir, 'audit.jsonl');
writeFileSync(audit, 'one\n');
let srv: LiveServer;
afterAll(() => srv?.close());

const livePageArgs = ({ fragment, nonce }: PageArgs) =>
  `<html>${fragment}<script nonce="${nonce}">void 0</script></html>`;

const status = (url: string, method = 'GET') =>
  new Promise<number>((resolve, reject) => {
    const r = request(url, { method }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('error', reject);
    r.end();
  });

describe('live page server', () => {
  it('binds to loopback, refuses without the token (401) or with a wrong one (403), allows no writes', async () => {
    srv = await serveLive(
      {
        runDir: dir,
        auditPath: audit,
        render: () => `<p>${readFileSync(audit, 'utf8').trim().split('\n').length}</p>`,
      },
      '127.0.0.1',
      0,
      ({ fragment }) => `<html>${fragment}</html>`,
    );
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
    const base = srv.url.replace(/\?.*/, '');
    expect(await status(base)).toBe(401);
    expect(await status(`${base}?token=${'0'.repeat(48)}`)).toBe(403);
    expect(await status(`${base}events?token=x`)).toBe(403);
    expect(await status(srv.url)).toBe(200);
    expect(await status(srv.url, 'POST')).toBe(405);
  });

  it('pushes the new state over SSE when the audit log grows', async () => {
    const events = srv.url.replace('/?', '/events?');
    const got: string[] = [];
    const t0 = await new Promise<number>((resolve) => {
      get(events, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          got.push(d);
          if (got.length === 1) {
            appendFileSync(audit, 'two\n');
            resolve(Date.now());
          }
        });
      });
    });
    await waitFor(() => got.join('').includes('<p>2</p>'), {
      timeoutMs: 2000,
      intervalMs: 20,
      what: 'pushed state',
    });
    await new Promise((r) => setImmediate(r));
    expect(got.join('')).toContain('<p>2</p>');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('--serve takes [HOST:]PORT, loopback by default, and refuses anything else with one line', () => {
    expect(parseServe('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseServe('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => parseServe('x; rm -rf /')).toThrow(/not \[HOST:\]PORT/);
    // run and resume take the same flag and say which command refused it.
    expect(() => serveFlag('run', '127.0.0.1:70000')).toThrow(/^run: --serve '127\.0\.0\.1:70000' is not/);
    expect(serveFlag('resume', '[::1]:0')).toEqual({ host: '::1', port: 0 });
  });
});

describe('live page server under hostile clients', () => {
  let big: LiveServer;
  const bigDir = mkdtempSync(join(tmpdir(), 'lb-live-big-'));
  const bigAudit = join(bigDir, 'audit.jsonl');
  writeFileSync(bigAudit, '0\n');
  // Each change renders ~512 KiB, so a client that never reads fills its buffer within a few pushes.
  const render = () => `<p>${readFileSync(bigAudit, 'utf8').length}</p>${'x'.repeat(512 << 10)}`;
  let stopped: string | undefined;
  afterAll(() => big?.close());

  it('answers every malformed request line and bad token with a 4xx and keeps serving', async () => {
    big = await serveLive(
      { runDir: bigDir, auditPath: bigAudit, render },
      '127.0.0.1',
      0,
      livePageArgs,
      (w) => {
        stopped = w;
      },
    );
    const answers = await hostileRequests(big.url);
    expect(answers.filter((a) => a.status < 400 || a.status > 499)).toEqual([]);
    expect(await status(big.url)).toBe(200);
    expect(stopped).toBeUndefined();
  });

  it('compares tokens as fixed-length digests: no throw on another UTF-8 length', () => {
    const token = 'ab'.repeat(24);
    for (const t of badTokens(token)) expect(tokenOk(t, token)).toBe(false);
    expect(tokenOk(token, token)).toBe(true);
  });

  it('sends a strict CSP whose nonce is the only way a script runs', async () => {
    const res = await new Promise<IncomingMessage>((resolve) => get(big.url, resolve));
    let body = '';
    res.setEncoding('utf8');
    for await (const c of res) body += c as string;
    const csp = String(res.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(body).toContain(`<script nonce="${nonce}">`);
  });

  it(
    'caps event-stream clients (503 past the cap) and drops a client that never reads',
    { timeout: 60_000 },
    async () => {
      const events = big.url.replace('/?', '/events?');
      const u = new URL(events);
      const port = Number(u.port);
      const reqLine = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: x\r\n\r\n`;
      // Clients that read nothing: their socket stays paused, the server's buffer for them grows.
      const stuck: Socket[] = [];
      for (let i = 0; i < LIVE_LIMITS.eventClients; i++) {
        const s = connect({ host: '127.0.0.1', port });
        s.on('error', () => undefined);
        s.write(reqLine);
        s.pause();
        stuck.push(s);
      }
      const path = `${u.pathname}${u.search}`;
      await waitFor(async () => (await rawGet('127.0.0.1', port, path)) === 503, {
        timeoutMs: 10_000,
        what: 'the event clients past the cap refused',
      });
      // The stuck clients fill their buffers and are dropped: a new event client is then let in.
      let n = 0;
      await waitFor(
        async () => {
          appendFileSync(bigAudit, `${n++}\n`);
          return (await rawGet('127.0.0.1', port, path)) === 200;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: 'the server to drop clients that never read' },
      );
      stuck.forEach((s) => s.destroy());
      // Once they are gone the page is served again.
      expect(await status(big.url)).toBe(200);
    },
  );

  it('caps connections: sockets past the cap are closed, the page comes back after', async () => {
    const u = new URL(big.url);
    const port = Number(u.port);
    const socks: Socket[] = [];
    for (let i = 0; i < LIVE_LIMITS.connections + 10; i++) {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      socks.push(s);
    }
    const closedEarly = () => socks.filter((s) => s.destroyed || s.readyState === 'closed').length;
    await waitFor(() => closedEarly() >= 10, { timeoutMs: 10_000, what: 'sockets past the cap closed' });
    socks.forEach((s) => s.destroy());
    await waitFor(async () => (await status(big.url)) === 200, { timeoutMs: 10_000, what: 'the page again' });
  });

  it('drops a client that sends no complete request within the header timeout', async () => {
    const u = new URL(big.url);
    const s = connect({ host: '127.0.0.1', port: Number(u.port) });
    s.on('error', () => undefined);
    s.resume();
    s.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const t0 = Date.now();
    await new Promise<void>((r) => s.on('close', () => r()));
    expect(Date.now() - t0).toBeLessThan(LIVE_LIMITS.requestTimeoutMs + 5_000);
  });

  it('warns when bound beyond loopback', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});
