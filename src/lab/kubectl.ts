// kubectl of the lab's pinned release, as cluster-admin through DIR/admin.conf (real control plane only).
import { usage } from '../errors/error.js';
import { run, type RunResult } from './proc.js';
import type { Lab } from './types.js';
import { join } from 'node:path';

/** Runs kubectl against the lab; never throws for a non-zero exit. */
export function kubectl(
  lab: Lab,
  args: string[],
  opts: { input?: string; timeoutMs?: number; server?: string } = {},
): Promise<RunResult> {
  if (!lab.kube)
    throw usage(`lab: ${lab.dir} runs the stand-in control plane`, 'bring it up with --control-plane real');
  const server = opts.server ? ['--server', opts.server] : [];
  return run(join(lab.kube.bin, 'kubectl'), ['--kubeconfig', lab.kube.adminConf, ...server, ...args], {
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}

/** kubectl that must succeed: its stdout, or an error carrying its last stderr lines. */
export async function mustKubectl(
  lab: Lab,
  args: string[],
  opts: Parameters<typeof kubectl>[2] = {},
): Promise<string> {
  const res = await kubectl(lab, args, opts);
  if (res.code !== 0)
    throw new Error(
      `kubectl ${args.join(' ')}: exit ${res.code}: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return res.stdout;
}
