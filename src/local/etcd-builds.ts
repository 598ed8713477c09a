// Where this machine's etcd builds are: scripts/build-etcd.sh puts each release in CACHE/<release>/ (etcd, etcdctl,
// etcdutl), CACHE being LIFEBOAT_ETCD_CACHE, else /var/cache/lifeboat/etcd, else the user's cache.
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const ETCD_TOOLS = ['etcd', 'etcdctl', 'etcdutl'] as const;
export type EtcdTool = (typeof ETCD_TOOLS)[number];

/** One release's binaries, all three present. */
export type EtcdBuild = { release: string } & Record<EtcdTool, string>;

/** The cache folders scripts/build-etcd.sh may have built into, in its order of preference. */
export function etcdCacheRoots(): string[] {
  const env = process.env.LIFEBOAT_ETCD_CACHE;
  if (env) return [env];
  const user = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lifeboat', 'etcd');
  return ['/var/cache/lifeboat/etcd', user];
}

function buildAt(root: string, release: string): EtcdBuild | undefined {
  const at = (tool: EtcdTool) => join(root, release, tool);
  if (!ETCD_TOOLS.every((t) => existsSync(at(t)))) return undefined;
  return { release, etcd: at('etcd'), etcdctl: at('etcdctl'), etcdutl: at('etcdutl') };
}

/** The build of one release (e.g. "3.6.17"), from the first cache that has all three tools. */
export function etcdBuild(release: string): EtcdBuild | undefined {
  for (const root of etcdCacheRoots()) {
    const b = buildAt(root, release);
    if (b) return b;
  }
  return undefined;
}

const numeric = (release: string) => release.split('.').map((n) => Number(n));
const newerFirst = (a: string, b: string) => {
  const [x, y] = [numeric(a), numeric(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
  return 0;
};

/** Every complete build in every cache, newest release first. */
export function etcdBuilds(): EtcdBuild[] {
  const out: EtcdBuild[] = [];
  for (const root of etcdCacheRoots()) {
    const releases = existsSync(root) ? readdirSync(root).filter((d) => /^\d+\.\d+\.\d+$/.test(d)) : [];
    for (const r of releases) {
      const b = buildAt(root, r);
      if (b && !out.some((o) => o.release === r)) out.push(b);
    }
  }
  return out.sort((a, b) => newerFirst(a.release, b.release));
}
