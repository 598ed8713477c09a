// lab down: stops every process of every host by pid (found by namespace, so it works after the starter
// crashed); mounts go with the namespaces.
import { existsSync } from 'node:fs';
import { releaseSubnet } from './claim.js';
import { hostPids, marker } from './hosts.js';
import { labFile } from './paths.js';
import { alive, pidsInMarkedNamespaces, stopPids } from './proc.js';
import { labDirOf, readLab, writeLab } from './state.js';
import { waitFor } from './wait.js';
import { restoreAddresses } from './readdress.js';

export interface DownResult {
  dir: string;
  stopped: number;
  /** Pids still alive after SIGKILL (should be empty). */
  remaining: number[];
}

export async function labDown(dir?: string): Promise<DownResult> {
  const d = labDirOf(dir);
  if (!existsSync(labFile(d))) return { dir: d, stopped: 0, remaining: [] };
  const lab = readLab(d);
  let stopped = 0;
  // Two rounds: a process forked while the first round ran is caught by the second.
  for (let round = 0; round < 2; round++) {
    const pids = hostPids(lab);
    if (!pids.length) break;
    stopped += pids.length;
    await stopPids(pids, 3000);
  }
  const remaining = hostPids(lab).filter(alive);
  // The namespaces (and every mount inside them) disappear with their last process.
  await waitFor(() => pidsInMarkedNamespaces(marker(lab.id)).size === 0, {
    timeoutMs: 5000,
    intervalMs: 50,
    what: 'lab namespaces to vanish',
  }).catch(() => undefined);
  await restoreAddresses(lab);
  releaseSubnet(lab.subnet, lab.id);
  writeLab({ ...lab, ...{ downAt: new Date().toISOString() } });
  return { dir: d, stopped, remaining };
}
