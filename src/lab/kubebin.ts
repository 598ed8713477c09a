// Where the lab finds its real Kubernetes binaries: built once per machine by scripts/build-kubernetes.sh at the
// version pinned in scripts/gobuild/kubernetes/go.mod, cached outside the checkout.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usage } from '../errors/error.js';

export const KUBE_COMMANDS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
] as const;

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The pinned Kubernetes release (vX.Y.Z): the one `require k8s.io/kubernetes` line of the wrapper module. */
export function kubernetesVersion(): string {
  const mod = join(projectRoot(), 'scripts', 'gobuild', 'kubernetes', 'go.mod');
  const text = existsSync(mod) ? readFileSync(mod, 'utf8') : '';
  const version = /^require k8s\.io\/kubernetes (v\d+\.\d+\.\d+)$/m.exec(text)?.[1];
  if (!version) throw usage(`lab: ${mod} pins no k8s.io/kubernetes version`, 'restore it from git');
  return version;
}

/** The machine's cache of built binaries for the pinned release (LIFEBOAT_CACHE overrides /var/cache/lifeboat). */
export function kubeBinDir(version = kubernetesVersion()): string {
  return join(process.env.LIFEBOAT_CACHE ?? '/var/cache/lifeboat', 'kubernetes', version);
}

/** The folder holding every binary, or a usage error that says how to build them. */
export function requireKubeBins(): { version: string; bin: string } {
  const version = kubernetesVersion();
  const bin = kubeBinDir(version);
  const missing = KUBE_COMMANDS.filter((c) => !existsSync(join(bin, c)));
  if (missing.length)
    throw usage(
      `lab: Kubernetes ${version} not built (${missing.join(', ')} missing in ${bin})`,
      'run bash scripts/setup.sh (builds it once per machine), or use --control-plane stand-in',
    );
  return { version, bin };
}
