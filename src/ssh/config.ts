// A small ~/.ssh/config reader: Host blocks with patterns, and the keywords Lifeboat uses.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { patternListMatch } from './pattern.js';

export interface SshConfigBlock {
  /** Host patterns; undefined for lines before the first Host (they apply to every host). */
  patterns: string[] | undefined;
  /** `Match` blocks are not evaluated; their options never apply. */
  skip: boolean;
  options: Array<{ key: string; value: string; args: string[]; line: number }>;
}

export interface HostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  /** ProxyJump hops in order; empty when unset or `none`. */
  proxyJump: string[];
  userKnownHostsFile?: string;
}

/** Splits a config line into keyword and arguments, honouring `Key=Value` and double quotes. */
function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (!inQuote && (c === ' ' || c === '\t' || (c === '=' && out.length === 0))) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

export function parseSshConfig(text: string): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [{ patterns: undefined, skip: false, options: [] }];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [kw, ...args] = tokenize(line);
    if (kw === undefined) return;
    const key = kw.toLowerCase();
    if (key === 'host') blocks.push({ patterns: args, skip: false, options: [] });
    else if (key === 'match') blocks.push({ patterns: [], skip: true, options: [] });
    else blocks[blocks.length - 1]?.options.push({ key, value: args.join(' '), args, line: i + 1 });
  });
  return blocks;
}

/** Expands `~` and the tokens OpenSSH allows in paths that Lifeboat can know. */
export function expandPath(
  value: string,
  ctx: { host: string; user: string; port: number; alias: string },
): string {
  const home = homedir();
  let v = value.startsWith('~/') || value === '~' ? home + value.slice(1) : value;
  v = v.replace(/%([%dhprun])/g, (_m, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'd':
        return home;
      case 'h':
        return ctx.host;
      case 'p':
        return String(ctx.port);
      case 'r':
        return ctx.user;
      case 'n':
        return ctx.alias;
      default:
        return process.env.USER ?? '';
    }
  });
  return v;
}

/** First value wins per keyword (OpenSSH rule); IdentityFile accumulates. Paths are left unexpanded. */
export function resolveHostConfig(blocks: readonly SshConfigBlock[], alias: string): HostConfig {
  const out: HostConfig = { identityFiles: [], proxyJump: [] };
  const seen = new Set<string>();
  for (const b of blocks) {
    if (b.skip) continue;
    if (b.patterns !== undefined && !patternListMatch(b.patterns, alias)) continue;
    for (const { key, value, args } of b.options) {
      if (key === 'identityfile') {
        out.identityFiles.push(value);
        continue;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      switch (key) {
        case 'hostname':
          out.hostName = value.replace(/%h/g, alias);
          break;
        case 'user':
          out.user = value;
          break;
        case 'port': {
          const n = Number(value);
          if (Number.isInteger(n) && n > 0 && n < 65536) out.port = n;
          break;
        }
        case 'proxyjump':
          out.proxyJump =
            value.toLowerCase() === 'none'
              ? []
              : value
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean);
          break;
        case 'userknownhostsfile': {
          const first = args[0];
          if (first !== undefined && first !== 'none') out.userKnownHostsFile = first;
          break;
        }
      }
    }
  }
  return out;
}

/** Reads a config file; a missing file is an empty config. */
export async function loadSshConfig(file: string): Promise<SshConfigBlock[]> {
  try {
    return parseSshConfig(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Parses `[user@]host[:port]` (ProxyJump / inventory jump); `[v6]:port` is accepted too. */
export function parseHop(spec: string): { user?: string; host: string; port?: number } {
  let rest = spec.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    rest = v6[1] as string;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(rest);
    if (m) {
      rest = m[1] as string;
      port = Number(m[2]);
    }
  }
  return { ...(user === undefined ? {} : { user }), host: rest, ...(port === undefined ? {} : { port }) };
}
