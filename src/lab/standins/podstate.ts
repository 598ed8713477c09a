// Pod status records the kubelet stand-in writes and crictl / the lab read (state/pods/<file>.json).
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ContainerState {
  name: string;
  id: string;
  image: string;
  /** pid inside the host's pid namespace */
  pid: number | null;
  state: 'running' | 'exited';
  exitCode: number | null;
  signal: string | null;
  startedAt: string;
  finishedAt: string | null;
  attempt: number;
  log: string;
}

export interface PodState {
  name: string;
  namespace: string;
  file: string;
  hash: string;
  containers: ContainerState[];
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writePod(stateDir: string, pod: PodState): void {
  mkdirSync(join(stateDir, 'pods'), { recursive: true });
  writeAtomic(join(stateDir, 'pods', `${pod.file}.json`), JSON.stringify(pod, null, 2));
}

export function readPods(stateDir: string): PodState[] {
  let files: string[];
  try {
    files = readdirSync(join(stateDir, 'pods')).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: PodState[] = [];
  for (const f of files) {
    try {
      out.push(JSON.parse(readFileSync(join(stateDir, 'pods', f), 'utf8')) as PodState);
    } catch {
      // being rewritten
    }
  }
  return out;
}
