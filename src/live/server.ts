// A read-only live page of one run dir: GET only, a random token required, pushed over SSE as the audit log grows.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { statSync, watch } from 'node:fs';

export interface LiveSource {
  /** The fragment for the current state of the run dir (re-read on each change). */
  render(): string;
  /** The audit log, watched for growth. */
  auditPath: string;
  runDir: string;
}

export interface LiveServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

const tokenOk = (given: string | null, token: string) =>
  given !== null && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));

export async function serveLive(
  src: LiveSource,
  host: string,
  port: number,
  page: (f: string, t: string) => string,
): Promise<LiveServer> {
  const token = randomBytes(24).toString('hex');
  const clients = new Set<ServerResponse>();
  let last = '';
  const push = () => {
    let frag: string;
    try {
      frag = src.render();
    } catch {
      return; // a torn last line: the next change brings the whole entry
    }
    if (frag === last) return;
    last = frag;
    for (const c of clients) c.write(`event: state\ndata: ${JSON.stringify(frag)}\n\n`);
  };
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const given = u.searchParams.get('token');
    const headers = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return void res.writeHead(405, headers).end('read-only\n');
    if (given === null) return void res.writeHead(401, headers).end('token required\n');
    if (!tokenOk(given, token)) return void res.writeHead(403, headers).end('wrong token\n');
    if (u.pathname === '/') {
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src " +
          "'self'; img-src 'self'",
      });
      return void res.end(page(src.render(), token));
    }
    if (u.pathname === '/events') {
      res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      res.write(`retry: 1000\nevent: state\ndata: ${JSON.stringify(src.render())}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    res.writeHead(404, headers).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // fs.watch for promptness; a size poll as well since some filesystems drop watch events.
  const w = watch(src.runDir, () => push());
  let size = -1;
  const poll = setInterval(() => {
    try {
      const s = statSync(src.auditPath).size;
      if (s === size) return;
      size = s;
      push();
    } catch {
      // not there yet
    }
  }, 250);
  const ping = setInterval(() => clients.forEach((c) => c.write(': ping\n\n')), 15_000);
  const addr = server.address();
  const p = typeof addr === 'object' && addr ? addr.port : port;
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${h}:${p}/?token=${token}`,
    token,
    close: () =>
      new Promise((resolve) => {
        clearInterval(poll);
        clearInterval(ping);
        push(); // the last entries (run.end) reach the page before it closes
        w.close();
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}
