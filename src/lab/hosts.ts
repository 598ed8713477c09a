// Lab hosts as processes: start one (unshare: own mount, UTS and pid namespaces), find its processes by
// pid, run a command inside it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, pidsInMarkedNamespaces, run } from './proc.js';
import { hostDir, initPidFile, logDir, unsharePidFile } from './paths.js';
import { HOST_PATH } from './render.js';
import type { ExecOutput, Lab } from './types.js';

export const marker = (labId: string, member?: string) => `lifeboat-${labId}-${member ?? ''}`;

/** Starts host `name`: `unshare` runs the host's init.sh as pid 1 of a new pid namespace. Returns the unshare pid. */
export function startHost(
  dir: string,
  name: string,
  opts: { ownNetwork?: boolean; fd3?: number } = {},
): number {
  const H = hostDir(dir, name);
  const fd = openSync(join(logDir(dir, name), 'init.log'), 'a');
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--uts',
      '--pid',
      ...(opts.ownNetwork ? ['--net'] : []),
      '--fork',
      '--mount-proc',
      '--kill-child',
      '--propagation',
      'private',
      '--',
      '/bin/bash',
      join(H, 'init.sh'),
    ],
    {
      detached: true,
      stdio: ['ignore', fd, fd, ...(opts.fd3 === undefined ? [] : [opts.fd3])],
      env: { PATH: HOST_PATH, HOME: '/root', LANG: 'C.UTF-8' },
      cwd: '/',
    },
  );
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`host ${name}: unshare did not start`);
  writeFileSync(unsharePidFile(dir, name), `${child.pid}\n`);
  return child.pid;
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The recorded unshare pid, if that process is still this host's (its command line names this host's init.sh). */
function recordedUnshare(lab: Lab, name: string): number | null {
  const pid = readPid(unsharePidFile(lab.dir, name));
  if (pid === null || !alive(pid)) return null;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes(join(hostDir(lab.dir, name), 'init.sh')) ? pid : null;
  } catch {
    return null;
  }
}

/** Every live process of every host of the lab (by namespace marker, plus recorded unshare pids). */
export function hostPids(lab: Lab): number[] {
  const found = pidsInMarkedNamespaces(marker(lab.id));
  const pids = new Set<number>([...found.values()].flat());
  for (const m of [...lab.members, ...(lab.bastion ? [lab.bastion] : [])]) {
    const u = recordedUnshare(lab, m.name);
    if (u !== null) pids.add(u);
  }
  return [...pids];
}

/** Processes of one host. */
export function pidsOfHost(lab: Lab, name: string): number[] {
  const found = pidsInMarkedNamespaces(marker(lab.id, name));
  const pids = new Set<number>(found.get(marker(lab.id, name)) ?? []);
  const u = recordedUnshare(lab, name);
  if (u !== null) pids.add(u);
  return [...pids];
}

/** Global pid of the host's pid 1 (NSpid ends in 1), or null when the host is down. */
export function initPid(lab: Lab, name: string): number | null {
  const rec = readPid(initPidFile(lab.dir, name));
  const isInit = (pid: number) => {
    try {
      const st = readFileSync(`/proc/${pid}/status`, 'utf8');
      const ns = /^NSpid:\s+(.*)$/m.exec(st)?.[1]?.trim().split(/\s+/);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return (
        alive(pid) &&
        ns !== undefined &&
        ns.length > 1 &&
        ns[ns.length - 1] === '1' &&
        cmd.includes(join(hostDir(lab.dir, name), 'init.sh'))
      );
    } catch {
      return false;
    }
  };
  if (rec !== null && isInit(rec)) return rec;
  const u = recordedUnshare(lab, name);
  if (u !== null) {
    try {
      const kids = readFileSync(`/proc/${u}/task/${u}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
      const pid = kids.find(isInit);
      if (pid !== undefined) {
        writeFileSync(initPidFile(lab.dir, name), `${pid}\n`);
        return pid;
      }
    } catch {
      // gone
    }
  }
  return null;
}

export function hostReady(dir: string, name: string): boolean {
  return existsSync(join(hostDir(dir, name), 'state', 'init.ready'));
}

/** Runs `bash -c command` inside a host (its mount, UTS and pid namespaces), as root, with a clean environment. */
export async function execInHost(
  lab: Lab,
  name: string,
  command: string,
  opts: { timeoutMs?: number; input?: string | Buffer } = {},
): Promise<ExecOutput> {
  const pid = initPid(lab, name);
  if (pid === null) return { code: 255, stdout: '', stderr: `lab: host ${name} is not running\n` };
  const r = await run(
    'nsenter',
    ['--target', String(pid), '--mount', '--uts', '--pid', '--wd=/', '--', '/bin/bash', '-c', command],
    {
      env: { PATH: HOST_PATH, HOME: '/root', LANG: 'C.UTF-8', TERM: 'dumb' },
      timeoutMs: opts.timeoutMs ?? 60_000,
      ...(opts.input === undefined ? {} : { input: opts.input }),
    },
  );
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs a command inside a host with the caller's stdin/stdout/stderr (for `lifeboat lab exec`);
 * resolves with its exit code.
 */
export function execInHostAttached(lab: Lab, name: string, command: string): Promise<number> {
  const pid = initPid(lab, name);
  if (pid === null) return Promise.resolve(255);
  return new Promise((resolve) => {
    const child = spawn(
      'nsenter',
      ['--target', String(pid), '--mount', '--uts', '--pid', '--wd=/', '--', '/bin/bash', '-c', command],
      {
        stdio: 'inherit',
        env: { PATH: HOST_PATH, HOME: '/root', LANG: 'C.UTF-8', TERM: process.env.TERM ?? 'dumb' },
      },
    );
    child.on('error', () => resolve(255));
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}
