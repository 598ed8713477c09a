// The etcd binaries this machine has for an offline restore, per etcd version: the builds of scripts/build-etcd.sh
// first (src/local/etcd-builds.ts), then an etcd the operator installed on PATH.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { etcdBuilds } from '../local/etcd-builds.js';

export interface EtcdTools {
  /** The release the binaries are (the build's folder, or what `etcd --version` printed). */
  release: string;
  etcd: string;
  etcdctl: string;
  /** 3.5 and later: restore and status are etcdutl's. */
  etcdutl?: string;
}

/** The first executable file called `tool` in a folder of PATH. */
function onPath(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, tool);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function releaseOf(etcd: string): string | undefined {
  try {
    const text = execFileSync(etcd, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    return /etcd Version:\s*(\d+\.\d+\.\d+)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/** The operator's own etcd on PATH, when it has etcd and etcdctl. */
function installed(): EtcdTools | undefined {
  const [etcd, etcdctl, etcdutl] = [onPath('etcd'), onPath('etcdctl'), onPath('etcdutl')];
  const release = etcd && etcdctl ? releaseOf(etcd) : undefined;
  if (!etcd || !etcdctl || !release) return undefined;
  return etcdutl ? { release, etcd, etcdctl, etcdutl } : { release, etcd, etcdctl };
}

const minor = (v: string) => v.split('.').slice(0, 2).join('.');

/**
 * etcd binaries of the same minor version as `version` (e.g. "3.5.21" or "3.5"), the exact release preferred; with
 * no version, the newest here. Undefined when this machine has none that fits.
 */
export function localEtcdTools(version?: string): EtcdTools | undefined {
  const own = installed();
  const all: EtcdTools[] = own ? [...etcdBuilds(), own] : etcdBuilds();
  if (version === undefined) return all[0];
  return all.find((t) => t.release === version) ?? all.find((t) => minor(t.release) === minor(version));
}
