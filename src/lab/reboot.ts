// lab reboot: a host loses power and boots again — every process killed at once, then its init runs anew: disks
// (/etc, /var/lib, /backup) keep what was written, /run starts empty, the kubelet or systemd stand-in starts what its
// manifests and enabled units say, as on a real node.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { refused } from '../errors/error.js';
import { hostReady, initPid, pidsOfHost, startHost } from './hosts.js';
import { hostDir, initPidFile } from './paths.js';
import { alive, signal } from './proc.js';
import { member } from './state.js';
import type { Lab } from './types.js';
import { waitFor } from './wait.js';

export async function labReboot(lab: Lab, name: string): Promise<{ killed: number }> {
  member(lab, name);
  // jump mode hands the host a network namespace at boot that only `lab up` holds.
  if (lab.bastion)
    throw refused(
      `lab reboot: ${name} is behind the lab's bastion`,
      'reboot hosts of a lab without --access jump',
    );
  const pids = pidsOfHost(lab, name);
  for (const pid of pids) signal(pid, 'SIGKILL');
  await waitFor(() => pidsOfHost(lab, name).filter(alive).length === 0, {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: `every process of ${name} to be gone`,
  });
  rmSync(join(hostDir(lab.dir, name), 'state', 'init.ready'), { force: true });
  rmSync(initPidFile(lab.dir, name), { force: true });
  startHost(lab.dir, name);
  await waitFor(() => hostReady(lab.dir, name) && initPid(lab, name) !== null, {
    timeoutMs: 15_000,
    intervalMs: 50,
    what: `${name} to boot again`,
  });
  return { killed: pids.length };
}
