// kubelet stand-in: polls the static pod folder and runs each manifest's containers as processes of
// this host, as kubelet does.
// A container that exits stays exited (no restart) until its manifest changes or reappears: lab breaks stay broken.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { sh, type Script } from '../../shell/sh.js';
import { writePod, type PodState, type ContainerState } from './podstate.js';

const { values: opt } = parseArgs({
  options: {
    manifests: { type: 'string' },
    state: { type: 'string' },
    logs: { type: 'string' },
    node: { type: 'string' },
    'poll-ms': { type: 'string', default: '200' },
  },
});
const manifestDir = opt.manifests ?? '/etc/kubernetes/manifests';
const stateDir = opt.state ?? '/run/kubelet';
const logDir = opt.logs ?? '/var/log/pods';
const nodeName = opt.node ?? 'node';
const pollMs = Number(opt['poll-ms']);
mkdirSync(join(stateDir, 'pods'), { recursive: true });
rmSync(join(stateDir, 'pods'), { recursive: true, force: true });
mkdirSync(join(stateDir, 'pods'), { recursive: true });

interface Running {
  pod: PodState;
  procs: Map<string, ChildProcess>;
  grace: number;
  stopping: boolean;
}
const pods = new Map<string, Running>();
const badManifests = new Map<string, string>(); // file -> hash already reported as unparseable
const log = (m: string) => process.stdout.write(`${new Date().toISOString()} kubelet[${nodeName}] ${m}\n`);

interface ContainerSpec {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  workingDir?: string;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    containers?: ContainerSpec[];
    volumes?: Array<{ name: string; hostPath?: { path: string } }>;
    terminationGracePeriodSeconds?: number;
    restartPolicy?: string;
  };
}

function startContainer(run: Running, c: ContainerSpec, spec: PodSpec, attempt: number): void {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const name = c.name ?? 'main';
  if (argv.length === 0) {
    log(`pod ${run.pod.name}: container ${name} has no command; skipped`);
    return;
  }
  // A hostPath mounted at another path (e.g. a restored data dir) gets its own mount namespace with
  // that bind mount, as a container would.
  const binds: Script[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const hp = spec.spec?.volumes?.find((v) => v.name === vm.name)?.hostPath?.path;
    if (hp && hp !== vm.mountPath)
      binds.push(sh`mkdir -p ${hp} ${vm.mountPath} && mount --bind ${hp} ${vm.mountPath}`);
  }
  const [file, args] = binds.length
    ? [
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          '--',
          '/bin/sh',
          '-c',
          sh.join([...binds, sh`exec "$0" "$@"`], ' && ').text,
          ...argv,
        ],
      ]
    : [argv[0]!, argv.slice(1)];
  const logPath = join(logDir, `${run.pod.name}_${name}.log`);
  const fd = openSync(logPath, 'a');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: '/root', LANG: 'C.UTF-8' };
  for (const e of c.env ?? []) env[e.name] = e.value ?? '';
  const child = spawn(file, args as string[], {
    cwd: c.workingDir ?? '/',
    env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  const st: ContainerState = {
    name,
    id: createHash('sha256')
      .update(`${run.pod.hash}/${name}/${attempt}/${Date.now()}`)
      .digest('hex')
      .slice(0, 13),
    image: c.image ?? '',
    pid: child.pid ?? null,
    state: 'running',
    exitCode: null,
    signal: null,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    attempt,
    log: logPath,
  };
  run.pod.containers.push(st);
  run.procs.set(name, child);
  child.on('error', (err) => log(`pod ${run.pod.name}: container ${name}: ${err.message}`));
  child.on('exit', (code, sig) => {
    st.state = 'exited';
    st.exitCode = code;
    st.signal = sig;
    st.finishedAt = new Date().toISOString();
    run.procs.delete(name);
    log(`pod ${run.pod.name}: container ${name} (pid ${st.pid}) exited code=${code} signal=${sig}`);
    writePod(stateDir, run.pod);
    if (spec.spec?.restartPolicy === 'Always') restartLater(run, c, spec, attempt + 1);
  });
  log(`pod ${run.pod.name}: started container ${name} pid ${child.pid}: ${argv.join(' ')}`);
}

/**
 * A pod whose manifest says `restartPolicy: Always` (the real control plane's: a controller-manager that loses its
 * lease exits, and kubelet starts it again) gets its container back after kubelet's back-off, 1 s doubling to 10 s.
 */
function restartLater(run: Running, c: ContainerSpec, spec: PodSpec, attempt: number): void {
  const delayMs = Math.min(10_000, 1000 * 2 ** Math.min(attempt - 1, 4));
  setTimeout(() => {
    if (run.stopping || pods.get(run.pod.file) !== run) return;
    log(
      `pod ${run.pod.name}: restarting container ${c.name ?? 'main'} (restartPolicy Always, attempt ${attempt})`,
    );
    startContainer(run, c, spec, attempt);
    writePod(stateDir, run.pod);
  }, delayMs);
}

function startPod(file: string, hash: string, spec: PodSpec): void {
  const name = `${spec.metadata?.name ?? file}-${nodeName}`;
  const run: Running = {
    pod: { name, namespace: spec.metadata?.namespace ?? 'default', file, hash, containers: [] },
    procs: new Map(),
    grace: Math.min(spec.spec?.terminationGracePeriodSeconds ?? 5, 10) * 1000,
    stopping: false,
  };
  pods.set(file, run);
  for (const c of spec.spec?.containers ?? []) startContainer(run, c, spec, 0);
  writePod(stateDir, run.pod);
}

async function stopPod(file: string): Promise<void> {
  const run = pods.get(file);
  if (!run || run.stopping) return;
  run.stopping = true;
  const procs = [...run.procs.values()];
  const exited = Promise.all(
    procs.map((p) =>
      p.exitCode !== null || p.signalCode !== null
        ? Promise.resolve()
        : new Promise((r) => p.once('exit', r)),
    ),
  );
  for (const p of procs) if (p.pid) kill(-p.pid, 'SIGTERM');
  const timer = setTimeout(() => procs.forEach((p) => p.pid && kill(-p.pid, 'SIGKILL')), run.grace);
  await exited;
  clearTimeout(timer);
  pods.delete(file);
  rmSync(join(stateDir, 'pods', `${file}.json`), { force: true });
  log(`pod ${run.pod.name}: stopped (manifest ${file} changed or removed)`);
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

let busy = false;
async function sync(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    let files: string[] = [];
    try {
      files = readdirSync(manifestDir).filter((f) => !f.startsWith('.') && /\.(ya?ml|json)$/.test(f));
    } catch {
      files = [];
    }
    const seen = new Set<string>();
    for (const f of files) {
      // A manifest moved away and back between two polls still changed (its ctime did): the pod starts again, as a
      // real kubelet would restart its crashed container; content alone would miss it.
      let changed = '';
      try {
        const st = statSync(join(manifestDir, f));
        changed = `${st.ctimeMs}:${st.mtimeMs}:${st.size}`;
      } catch {
        continue;
      }
      seen.add(f);
      // Unchanged since the last poll: nothing to read or hash (five polls a second on every lab host).
      const known = `@${changed}`;
      if (pods.get(f)?.pod.hash.endsWith(known) || badManifests.get(f)?.endsWith(known)) continue;
      let text: string;
      try {
        text = readFileSync(join(manifestDir, f), 'utf8');
      } catch {
        continue;
      }
      const hash = `${createHash('sha256').update(text).digest('hex')}@${changed}`;
      const cur = pods.get(f);
      if (cur && cur.pod.hash === hash) continue;
      let spec: PodSpec;
      try {
        spec = parseYaml(text) as PodSpec;
        if (!spec || typeof spec !== 'object') throw new Error('not a pod');
      } catch (err) {
        if (badManifests.get(f) !== hash)
          log(`manifest ${f}: cannot parse: ${(err as Error).message.split('\n')[0]}`);
        badManifests.set(f, hash);
        continue;
      }
      if (cur) await stopPod(f);
      startPod(f, hash, spec);
    }
    for (const f of [...pods.keys()]) if (!seen.has(f)) await stopPod(f);
  } finally {
    busy = false;
  }
}

log(`watching ${manifestDir} every ${pollMs} ms`);
setInterval(() => void sync(), pollMs);
void sync();
process.on('SIGTERM', () => process.exit(0));
