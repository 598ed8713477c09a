import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveLive, type LiveServer } from '../../src/live/server.js';
import { parseServe } from '../../src/cli/watch/index.js';
import { parseServe as serveFlag } from '../../src/live/serve-run.js';
import { waitFor } from '../../src/lab/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'lb-live-'));
const audit = join(dir, 'audit.jsonl');
writeFileSync(audit, 'one\n');
let srv: LiveServer;
afterAll(() => srv?.close());

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
      (f) => `<html>${f}</html>`,
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
