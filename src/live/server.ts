// A read-only live page of one run dir: GET only, a random token required, pushed over SSE as the audit log grows.
// It runs inside the recovery process, so nothing a client sends may crash it or make it grow without bound.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { statSync, watch, type FSWatcher } from 'node:fs';

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

/** What one page server may hold at once; past these a client is refused or dropped, the process never grows. */
export const LIVE_LIMITS = {
  connections: 32,
  eventClients: 8,
  /** Bytes queued for one client that does not read; past it the client is dropped. */
  clientBufferBytes: 1 << 20,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  /** An event stream gets a ping every pingMs; a socket with no progress for twice that is dropped. */
  pingMs: 15_000,
  maxTargetBytes: 2048,
};

/** The page's script and the answers' CSP share this per-server nonce. */
export interface PageArgs {
  fragment: string;
  token: string;
  nonce: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Fixed-length digests on both sides: no length leak, and no throw whatever the given token's encoding. */
export const tokenOk = (given: string | null, token: string) =>
  given !== null && timingSafeEqual(digest(given), digest(token));

const BASE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export const pageCsp = (nonce: string) =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; ` +
  `img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
export const isLoopback = (host: string) => LOOPBACK.test(host);

/** The path and token of an origin-form target (`/path?query`), or undefined for anything else. */
function target(url: string | undefined): { path: string; token: string | null } | undefined {
  if (!url || url.length > LIVE_LIMITS.maxTargetBytes || !url.startsWith('/') || url.startsWith('//'))
    return undefined;
  try {
    const u = new URL(url, 'http://localhost');
    return { path: u.pathname, token: u.searchParams.get('token') };
  } catch {
    return undefined;
  }
}

export async function serveLive(
  src: LiveSource,
  host: string,
  port: number,
  page: (a: PageArgs) => string,
  onStop: (why: string) => void = () => undefined,
): Promise<LiveServer> {
  const token = randomBytes(24).toString('hex');
  const clients = new Set<ServerResponse>();
  let last = '';
  const send = (c: ServerResponse, text: string) => {
    // A client that does not read keeps its bytes queued here: past the cap it is dropped, not buffered.
    if (c.writableLength > LIVE_LIMITS.clientBufferBytes) return void c.destroy();
    c.write(text);
  };
  const render = () => {
    try {
      return src.render();
    } catch {
      return undefined; // a torn last line: the next change brings the whole entry
    }
  };
  const push = () => {
    const frag = render();
    if (frag === undefined || frag === last) return;
    last = frag;
    for (const c of clients) send(c, `event: state\ndata: ${JSON.stringify(frag)}\n\n`);
  };
  const answer = (res: ServerResponse, code: number, text: string) => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(code, {
      ...BASE_HEADERS,
      'content-type': 'text/plain; charset=utf-8',
      connection: 'close',
    });
    res.end(text);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'read-only\n');
    const t = target(req.url);
    if (!t) return answer(res, 400, 'bad request target\n');
    if (t.token === null) return answer(res, 401, 'token required\n');
    if (!tokenOk(t.token, token)) return answer(res, 403, 'wrong token\n');
    if (t.path === '/') {
      const frag = render() ?? last;
      const nonce = randomBytes(16).toString('base64');
      res.writeHead(200, {
        ...BASE_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': pageCsp(nonce),
      });
      return void res.end(page({ fragment: frag, token, nonce }));
    }
    if (t.path === '/events') {
      if (clients.size >= LIVE_LIMITS.eventClients) return answer(res, 503, 'too many live pages open\n');
      res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'text/event-stream' });
      req.socket.setTimeout(LIVE_LIMITS.pingMs * 2);
      clients.add(res);
      res.on('close', () => clients.delete(res));
      send(res, `retry: 1000\nevent: state\ndata: ${JSON.stringify(render() ?? last)}\n\n`);
      return;
    }
    answer(res, 404, 'not found\n');
  };
  const server = createServer(
    {
      headersTimeout: LIVE_LIMITS.headersTimeoutMs,
      requestTimeout: LIVE_LIMITS.requestTimeoutMs,
      keepAliveTimeout: 2_000,
      connectionsCheckingInterval: 1_000,
      maxHeaderSize: 8192,
    },
    (req, res) => {
      res.on('error', () => res.destroy());
      try {
        handle(req, res);
      } catch {
        try {
          answer(res, 500, 'internal error\n');
        } catch {
          res.destroy();
        }
      }
    },
  );
  server.maxConnections = LIVE_LIMITS.connections;
  server.timeout = LIVE_LIMITS.idleTimeoutMs;
  server.on('timeout', (socket: { destroy(): void }) => socket.destroy());
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && !socket.destroyed) {
      const code = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${code}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  server.on('connection', (socket) => socket.on('error', () => socket.destroy()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let stopped = false;
  // fs.watch for promptness; a size poll as well since some filesystems drop watch events.
  let w: FSWatcher | undefined;
  try {
    w = watch(src.runDir, () => push());
    w.on('error', () => w?.close());
  } catch {
    w = undefined; // the poll alone
  }
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
  const ping = setInterval(() => clients.forEach((c) => send(c, ': ping\n\n')), LIVE_LIMITS.pingMs);
  const close = () =>
    new Promise<void>((resolve) => {
      stopped = true;
      clearInterval(poll);
      clearInterval(ping);
      push(); // the last entries (run.end) reach the page before it closes
      w?.close();
      for (const c of clients) c.end();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  // After listening, a server error stops the page, never the process that serves it.
  server.on('error', (err: Error) => {
    if (stopped) return;
    void close().then(() => onStop(err.message));
  });
  const addr = server.address();
  const p = typeof addr === 'object' && addr ? addr.port : port;
  const h = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${h}:${p}/?token=${token}`, token, close };
}
