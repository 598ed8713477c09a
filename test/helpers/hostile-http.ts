// Requests a hostile client sends to the live page, over raw sockets (no HTTP client would send most of them).
import { connect } from 'node:net';

/** Request lines no well-behaved client sends: absolute and authority forms, bad ports, junk, overlong targets. */
export const MALFORMED_TARGETS = [
  'http://a:99999/',
  'http://[::1/',
  'https://x:0/?token=',
  '//evil/?token=x',
  '*',
  'example.com:443',
  '/%zz?token=%ff',
  `/${'a'.repeat(5000)}`,
  '\u0000',
];

/** Tokens of the right UTF-16 length but another UTF-8 length (timingSafeEqual on raw buffers throws on them). */
export function badTokens(token: string): string[] {
  return [
    'é'.repeat(token.length),
    '😀'.repeat(token.length / 2),
    token.slice(0, -1) + 'ü',
    token.slice(0, -1),
    token + '0',
    '',
    token.toUpperCase(),
  ];
}

/** Sends raw bytes, returns the status code of the first answer (0 when the server closed without one). */
export function rawStatus(
  host: string,
  port: number,
  raw: string | Buffer,
  timeoutMs = 15_000,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(String(raw).slice(0, 80))}`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // An event stream never ends: its status line is the answer.
      if (/^HTTP\/1\.[01] \d{3}/.test(got)) s.destroy();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(got)?.[1] ?? 0));
    });
    s.write(raw);
  });
}

/** A GET of `target` over a raw socket, ended (connection: close). */
export const rawGet = (host: string, port: number, target: string) =>
  rawStatus(host, port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

/** Every hostile request against a live page URL: each status code with what was sent. */
export async function hostileRequests(url: string): Promise<Array<{ sent: string; status: number }>> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port);
  const token = u.searchParams.get('token')!;
  const sent = [
    ...MALFORMED_TARGETS,
    ...badTokens(token).map((t) => `/?token=${encodeURIComponent(t)}`),
    ...badTokens(token).map((t) => `/events?token=${encodeURIComponent(t)}`),
    // Raw UTF-8 in the target (not percent-encoded): the parser or the handler refuses it, never crashes.
    ...badTokens(token).map((t) => `/?token=${t}`),
  ];
  const out: Array<{ sent: string; status: number }> = [];
  for (const s of sent) out.push({ sent: s, status: await rawGet(host, port, s) });
  // A request line that is no HTTP at all, and a header block that never ends within the header timeout.
  out.push({ sent: 'garbage', status: await rawStatus(host, port, 'HELLO\r\n\r\n') });
  return out;
}
