// Which etcd binaries a lab runs: Debian bookworm's 3.4 in /usr/bin, or trixie's 3.5 unpacked by scripts/fetch-deb.sh.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usage } from '../errors/error.js';
import { etcdImageOf } from './modes.js';
import type { EtcdVersion } from './types.js';

/** The project's root (the folder with package.json above this module, in dist or src). */
function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Machine paths of etcd, etcdctl and (3.5) etcdutl for a version. */
export function etcdSources(version: EtcdVersion): Record<string, string> {
  if (version === '3.4') return { etcd: '/usr/bin/etcd', etcdctl: '/usr/bin/etcdctl' };
  const c = join(projectRoot(), '.cache', 'debian', 'trixie');
  return {
    etcd: join(c, 'etcd-server', 'usr', 'bin', 'etcd'),
    etcdutl: join(c, 'etcd-server', 'usr', 'bin', 'etcdutl'),
    etcdctl: join(c, 'etcd-client', 'usr', 'bin', 'etcdctl'),
  };
}

/** Puts the version's binaries into `to` (hard links, else copies) and returns the release and image tag. */
export function stageEtcd(version: EtcdVersion, to: string): { release: string; image: string } {
  const src = etcdSources(version);
  for (const [tool, path] of Object.entries(src))
    if (!existsSync(path))
      throw usage(
        `lab: etcd ${version}: ${tool} not found at ${path}`,
        version === '3.5'
          ? 'run bash scripts/setup.sh (it fetches trixie etcd 3.5)'
          : 'install etcd-server and etcd-client',
      );
  mkdirSync(to, { recursive: true });
  for (const [tool, path] of Object.entries(src)) {
    const dest = join(to, tool);
    if (existsSync(dest)) continue;
    try {
      linkSync(path, dest);
    } catch {
      copyFileSync(path, dest);
      chmodSync(dest, 0o755);
    }
  }
  const out = execFileSync(join(to, 'etcd'), ['--version'], { encoding: 'utf8' });
  const release = /etcd Version:\s*(\d+\.\d+\.\d+)/.exec(out)?.[1];
  if (!release) throw usage(`lab: ${join(to, 'etcd')} --version printed no version`, 'check the etcd binary');
  return { release, image: etcdImageOf(release) };
}
