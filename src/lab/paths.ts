// The lab folder's layout, the host paths bind-mounted into each host, and where the compiled stand-ins live.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_DIR = '.lifeboat/lab';
/** Claims of 127.0.N blocks, shared by every lab on this machine. */
export const CLAIM_DIR = '/run/lifeboat';

/**
 * Copy-on-write layers over the machine's folders: each host writes its own /etc and /var/lib (so `mv
 * /var/lib/etcd ...` works as on a node).
 */
export const HOST_OVERLAYS = ['/etc', '/var/lib'] as const;
/** Folders each host has entirely to itself (bind mounts; the unit folders hide the machine's own units). */
export const HOST_BINDS = [
  '/etc/systemd/system',
  '/usr/lib/systemd/system',
  '/usr/local/sbin',
  '/backup',
] as const;
/** If overlayfs is unavailable (e.g. the lab folder is itself on overlayfs), these are bind-mounted instead. */
export const FALLBACK_BINDS = ['/etc/kubernetes', '/etc/etcd', '/var/lib/etcd'] as const;

export const labFile = (dir: string) => join(dir, 'lab.json');
export const hostDir = (dir: string, name: string) => join(dir, 'hosts', name);
export const hostRoot = (dir: string, name: string) => join(dir, 'hosts', name, 'root');
/** Where a path inside the host lives in the lab folder (before boot: write files here). */
export function hostPath(dir: string, name: string, path: string): string {
  const bind = HOST_BINDS.find((b) => path === b || path.startsWith(`${b}/`));
  return bind ? join(dir, 'hosts', name, 'bind', path) : join(hostRoot(dir, name), path);
}
/** Global pid of the host's pid-1 (written by the starter). */
export const initPidFile = (dir: string, name: string) => join(hostDir(dir, name), 'init.pid');
export const unsharePidFile = (dir: string, name: string) => join(hostDir(dir, name), 'unshare.pid');
/** State the stand-ins share with the lab (pod and unit status); outside any bind mount so the lab can read it. */
export const stateDir = (dir: string, name: string) => join(hostDir(dir, name), 'state');
export const logDir = (dir: string, name: string) => join(hostDir(dir, name), 'log');
/**
 * Files of the container images the stand-ins run from (IMAGES/etcd/usr/local/bin/{etcd,etcdctl}),
 * shared by every host.
 */
export const imagesDir = (dir: string) => join(dir, 'images');

/** Folder of the compiled stand-ins (dist/src/lab/standins), wherever this module runs from (dist or vitest on src). */
export function standinsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'standins'),
    resolve(here, '../../dist/src/lab/standins'),
    resolve(here, '../../../dist/src/lab/standins'),
  ];
  for (const c of candidates) if (existsSync(join(c, 'kubelet.js'))) return c;
  return candidates[1]!;
}
