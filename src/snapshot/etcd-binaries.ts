// The one place that says where this machine's etcd binaries are, per etcd version: builds in
// /var/cache/lifeboat/etcd/VERSION/ first, then Debian trixie's 3.5 (unpacked into .cache), then Debian's 3.4 in /usr/bin.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface EtcdTools {
  /** The release the binaries report (etcd --version). */
  release: string;
  etcd: string;
  etcdctl: string;
  /** 3.5 and later: restore and status are etcdutl's. */
  etcdutl?: string;
}

export const BUILD_CACHE = '/var/cache/lifeboat/etcd';

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function candidates(): Omit<EtcdTools, 'release'>[] {
  const out: Omit<EtcdTools, 'release'>[] = [];
  const builds = existsSync(BUILD_CACHE) ? readdirSync(BUILD_CACHE).sort().reverse() : [];
  for (const v of builds) {
    const at = (tool: string) => join(BUILD_CACHE, v, tool);
    out.push({ etcd: at('etcd'), etcdctl: at('etcdctl'), etcdutl: at('etcdutl') });
  }
  const trixie = join(projectRoot(), '.cache', 'debian', 'trixie');
  out.push({
    etcd: join(trixie, 'etcd-server', 'usr', 'bin', 'etcd'),
    etcdutl: join(trixie, 'etcd-server', 'usr', 'bin', 'etcdutl'),
    etcdctl: join(trixie, 'etcd-client', 'usr', 'bin', 'etcdctl'),
  });
  out.push({ etcd: '/usr/bin/etcd', etcdctl: '/usr/bin/etcdctl' });
  return out;
}

function releaseOf(etcd: string): string | undefined {
  try {
    const text = execFileSync(etcd, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    return /etcd Version:\s*(\d+\.\d+\.\d+)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

const minor = (v: string) => v.split('.').slice(0, 2).join('.');

/**
 * etcd binaries of the same minor version as `version` (e.g. "3.5.21" or "3.5"), the exact release preferred; with
 * no version, the newest here. Undefined when this machine has none that fits.
 */
export function localEtcdTools(version?: string): EtcdTools | undefined {
  const found: EtcdTools[] = [];
  for (const c of candidates()) {
    if (!existsSync(c.etcd) || !existsSync(c.etcdctl)) continue;
    const release = releaseOf(c.etcd);
    if (!release) continue;
    const tools: EtcdTools = { release, etcd: c.etcd, etcdctl: c.etcdctl };
    if (c.etcdutl && existsSync(c.etcdutl)) tools.etcdutl = c.etcdutl;
    if (version === undefined || release === version) return tools;
    if (minor(release) === minor(version)) found.push(tools);
  }
  return found[0];
}
