// Checks before a lab starts: root, the binaries it runs, namespaces allowed, stand-ins built. Each
// failure is one line, exit 2.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { environment } from '../errors/error.js';
import { run } from './proc.js';
import { standinsDir } from './paths.js';
import type { LabMode } from './types.js';

const BINARIES: Array<[string, string]> = [
  ['etcd', 'etcd-server'],
  ['etcdctl', 'etcd-client'],
  ['/usr/sbin/sshd', 'openssh-server'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['openssl', 'openssl'],
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
  ['mount', 'mount'],
];

async function which(bin: string): Promise<boolean> {
  if (bin.startsWith('/')) return existsSync(bin);
  return (await run('sh', ['-c', `command -v ${bin}`])).code === 0;
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw environment(
      'lab: must run as root (it creates mount, UTS and pid namespaces and runs sshd on port 22)',
      'run it as root, e.g. `sudo ./bin/lifeboat lab ...`',
    );
  }
}

export async function preflight(mode: LabMode): Promise<void> {
  requireRoot();
  const missing: string[] = [];
  for (const [bin, pkg] of BINARIES) if (!(await which(bin))) missing.push(`${bin} (${pkg})`);
  if (missing.length)
    throw environment(
      `lab: missing ${missing.join(', ')}`,
      'run `npm run setup` (scripts/setup.sh installs them) or apt-get install the packages named',
    );
  if ((mode === 'systemd' || mode === 'k3s-external') && (await run('id', ['-u', 'etcd'])).code !== 0) {
    throw environment(
      'lab: systemd mode runs etcd as the `etcd` user, which does not exist',
      'install etcd-server (it creates the user) or `useradd --system etcd`',
    );
  }
  if (!existsSync(join(standinsDir(), 'kubelet.js')))
    throw environment('lab: the lab stand-ins are not built', 'run `npm run build` in the project folder');
  const ns = await run('unshare', ['--mount', '--uts', '--pid', '--fork', '--mount-proc', '--', 'true'], {
    timeoutMs: 10_000,
  });
  if (ns.code !== 0) {
    throw environment(
      `lab: cannot create namespaces here (${ns.stderr.trim().split('\n')[0] ?? 'unshare failed'})`,
      'run on a machine or VM as root, or in a privileged container (--privileged)',
    );
  }
}
