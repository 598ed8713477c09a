// Process helpers: run a program, find a host's processes by namespace, stop processes by pid.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never throws for a non-zero exit. */
export function run(
  file: string,
  args: string[],
  opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 256 * 1024 * 1024,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        let code = 0;
        if (e) code = typeof e.code === 'number' ? e.code : e.killed ? 124 : 127;
        if (e && typeof e.code === 'string') stderr = `${stderr}${e.message}\n`;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Runs a program and throws with its stderr when it fails. */
export async function must(
  file: string,
  args: string[],
  opts: Parameters<typeof run>[2] = {},
): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0)
    throw new Error(
      `${file} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return r.stdout;
}

/** True when the pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function nsOf(pid: number, kind: 'mnt' | 'pid'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/**
 * Every live process whose mount namespace carries a mount whose source starts with `marker`
 * (each lab host mounts a tmpfs named lifeboat-<labid>-<member> on /run): found by pid, never by name.
 */
export function pidsInMarkedNamespaces(marker: string): Map<string, number[]> {
  const own = nsOf(process.pid, 'mnt');
  const byNs = new Map<string, number[]>();
  for (const pid of allPids()) {
    const ns = nsOf(pid, 'mnt');
    if (ns === null || ns === own || !alive(pid)) continue;
    const list = byNs.get(ns) ?? [];
    list.push(pid);
    byNs.set(ns, list);
  }
  const found = new Map<string, number[]>();
  for (const pids of byNs.values()) {
    for (const pid of pids) {
      let info: string;
      try {
        info = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
      } catch {
        continue; // gone meanwhile: try another process of this namespace
      }
      const m = info.split('\n').find((l) => {
        const source = l.split(' - ')[1]?.split(' ')[1];
        return source !== undefined && source.startsWith(marker);
      });
      if (m) {
        const source = m.split(' - ')[1]!.split(' ')[1]!;
        found.set(source, [...(found.get(source) ?? []), ...pids]);
      }
      break;
    }
  }
  return found;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL and wait until every pid is gone (or the deadline passes). */
export async function stopPids(pids: number[], graceMs = 3000): Promise<number[]> {
  for (const p of pids) signal(p, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  for (const p of pids.filter(alive)) signal(p, 'SIGKILL');
  const killUntil = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < killUntil) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}
