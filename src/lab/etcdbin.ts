// Which etcd binaries a lab runs: the release each line pins (scripts/gobuild/etcd-X.Y/go.mod), built once per machine
// by scripts/build-etcd.sh (src/local/etcd-builds.ts says where).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usage } from '../errors/error.js';
import { etcdBuild, etcdCacheRoots, type EtcdTool } from '../local/etcd-builds.js';
import { etcdImageOf } from './modes.js';
import type { EtcdVersion } from './types.js';

/** The project's root (the folder with package.json above this module, in dist or src). */
function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** The release a line pins: the etcdutl/v3 requirement of its wrapper module (the one place versions are set). */
export function pinnedRelease(version: EtcdVersion): string {
  const goMod = join(projectRoot(), 'scripts', 'gobuild', `etcd-${version}`, 'go.mod');
  const text = existsSync(goMod) ? readFileSync(goMod, 'utf8') : '';
  const release = /^\s*go\.etcd\.io\/etcd\/etcdutl\/v3 v(\d+\.\d+\.\d+)\b/m.exec(text)?.[1];
  if (!release)
    throw usage(`lab: etcd ${version}: no pinned release in ${goMod}`, 'restore the file from git');
  return release;
}

/** Machine paths of etcd, etcdctl and etcdutl of a line's pinned release (where the first cache would hold them). */
export function etcdSources(version: EtcdVersion): Record<EtcdTool, string> {
  const release = pinnedRelease(version);
  const built = etcdBuild(release);
  if (built) return { etcd: built.etcd, etcdctl: built.etcdctl, etcdutl: built.etcdutl };
  const at = (t: EtcdTool) => join(etcdCacheRoots()[0]!, release, t);
  return { etcd: at('etcd'), etcdctl: at('etcdctl'), etcdutl: at('etcdutl') };
}

/** Puts the version's binaries into `to` (hard links, else copies) and returns the release and image tag. */
export function stageEtcd(version: EtcdVersion, to: string): { release: string; image: string } {
  const src = etcdSources(version);
  for (const [tool, path] of Object.entries(src))
    if (!existsSync(path))
      throw usage(
        `lab: etcd ${version}: ${tool} not found at ${path}`,
        `run bash scripts/setup.sh (it builds etcd ${pinnedRelease(version)} with Go, once per machine)`,
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
