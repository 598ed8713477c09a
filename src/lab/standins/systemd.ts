// systemd stand-in for a lab host: supervises service units (etcd) and answers the systemctl stand-in
// over a unix socket.
// Units are read at boot and on daemon-reload (as systemd does); EnvironmentFile is read at each start.
// No automatic restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execArgv, findUnitFiles, hashFiles, loadUnit, readEnvFile, unitName, type Unit } from './unit.js';
import { writeAtomic } from './podstate.js';

const { values: opt } = parseArgs({
  options: { state: { type: 'string' }, logs: { type: 'string' }, socket: { type: 'string' } },
});
const stateDir = opt.state ?? '/run/systemd/lifeboat';
const logDir = opt.logs ?? '/var/log';
const socketPath = opt.socket ?? '/run/systemd/lifeboat.sock';
mkdirSync(join(stateDir, 'units'), { recursive: true });

type Active = 'active' | 'inactive' | 'failed' | 'activating' | 'deactivating';
interface Svc {
  loaded: Unit | null;
  state: Active;
  child: ChildProcess | null;
  mainPid: number | null;
  since: string;
  result: string;
  stopping: boolean;
}
const services = new Map<string, Svc>();
const WANTS = '/etc/systemd/system/multi-user.target.wants';
const log = (m: string) => process.stdout.write(`${new Date().toISOString()} systemd ${m}\n`);

function svc(name: string): Svc {
  let s = services.get(name);
  if (!s) {
    s = {
      loaded: loadUnit(name),
      state: 'inactive',
      child: null,
      mainPid: null,
      since: new Date().toISOString(),
      result: 'success',
      stopping: false,
    };
    services.set(name, s);
  }
  return s;
}

function record(name: string, s: Svc): void {
  writeAtomic(
    join(stateDir, 'units', `${name}.json`),
    JSON.stringify(
      {
        unit: name,
        activeState: s.state,
        mainPid: s.mainPid,
        since: s.since,
        result: s.result,
        execStart: s.loaded?.execStart ?? null,
        dropIns: s.loaded?.dropIns ?? [],
      },
      null,
      2,
    ),
  );
}

function setState(name: string, s: Svc, state: Active, result = s.result): void {
  s.state = state;
  s.result = result;
  s.since = new Date().toISOString();
  record(name, s);
}

function changedOnDisk(name: string, s: Svc): boolean {
  const f = findUnitFiles(name);
  if (!f || !s.loaded) return f !== null;
  return hashFiles([f.file, ...f.dropIns]) !== s.loaded.hash;
}
const reloadWarning = (name: string) =>
  `Warning: The unit file, source configuration file or drop-ins of ${name} changed on disk. Run ` +
  `'systemctl daemon-reload' to reload units.\n`;

function userIds(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

interface Reply {
  code: number;
  stdout: string;
  stderr: string;
}

async function start(name: string): Promise<Reply> {
  const s = svc(name);
  if (!s.loaded) return { code: 5, stdout: '', stderr: `Failed to start ${name}: Unit ${name} not found.\n` };
  const warn = changedOnDisk(name, s) ? reloadWarning(name) : '';
  if (s.state === 'active' || s.state === 'activating') return { code: 0, stdout: '', stderr: warn };
  const u = s.loaded;
  const failed = (why: string): Reply => {
    log(`${name}: ${why}`);
    setState(name, s, 'failed', 'exit-code');
    return {
      code: 1,
      stdout: '',
      stderr:
        `${warn}Job for ${name} failed because the control process exited with error code.\nSee ` +
        `"systemctl status ${name}" and "journalctl -xeu ${name}" for details.\n`,
    };
  };
  if (!u.execStart) return { code: 1, stdout: '', stderr: `${name} has no ExecStart= setting. Refusing.\n` };
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    ...u.environment,
  };
  for (const ef of u.environmentFiles) {
    if (!existsSync(ef.path)) {
      if (ef.optional) continue;
      return failed(`Failed to load environment files: ${ef.path}`);
    }
    Object.assign(env, readEnvFile(ef.path));
  }
  let ids: { uid: number; gid: number } | undefined;
  try {
    if (u.user) ids = userIds(u.user);
  } catch {
    return failed(`Failed to determine user credentials: No such process (${u.user})`);
  }
  const cwd = u.workingDirectory?.replace(/^-/, '') ?? '/';
  if (!existsSync(cwd)) return failed(`Changing to the requested working directory failed: ${cwd}`);
  if (u.user) env.HOME = cwd;
  const argv = execArgv(u.execStart, env);
  const logPath = join(logDir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  setState(name, s, 'activating');
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env,
    stdio: ['ignore', fd, fd],
    detached: true,
    ...(ids ?? {}),
  });
  closeSync(fd);
  s.child = child;
  s.mainPid = child.pid ?? null;
  s.stopping = false;
  log(`${name}: started pid ${child.pid}: ${argv.join(' ')}`);
  let exited = false;
  child.on('error', (err) => log(`${name}: ${err.message}`));
  child.on('exit', (code, sig) => {
    exited = true;
    const by = s.stopping ? 'inactive' : code === 0 ? 'inactive' : 'failed';
    log(`${name}: main process ${child.pid} exited code=${code} signal=${sig} -> ${by}`);
    s.child = null;
    s.mainPid = null;
    setState(name, s, by, by === 'failed' ? (sig ? 'signal' : 'exit-code') : 'success');
  });
  // Readiness stand-in for Type=notify: the main process is still up after a short while.
  const until = Date.now() + 800;
  while (!exited && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  if (exited) return failed(`${name} exited during start`);
  setState(name, s, 'active', 'success');
  return { code: 0, stdout: '', stderr: warn };
}

async function stop(name: string): Promise<Reply> {
  const s = svc(name);
  if (!s.loaded && !s.child)
    return { code: 5, stdout: '', stderr: `Failed to stop ${name}: Unit ${name} not loaded.\n` };
  const child = s.child;
  if (!child || child.pid === undefined) {
    if (s.state !== 'failed') setState(name, s, 'inactive', 'success');
    return { code: 0, stdout: '', stderr: '' };
  }
  s.stopping = true;
  setState(name, s, 'deactivating');
  const done = new Promise((r) => child.once('exit', r));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, 10_000);
  await done;
  clearTimeout(timer);
  setState(name, s, 'inactive', 'success');
  return { code: 0, stdout: '', stderr: '' };
}

function status(name: string): Reply {
  const s = svc(name);
  if (!s.loaded) return { code: 4, stdout: '', stderr: `Unit ${name} could not be found.\n` };
  const u = s.loaded;
  const enabled = existsSync(join(WANTS, name)) ? 'enabled' : 'disabled';
  const sub = s.state === 'active' ? 'running' : s.state === 'failed' ? `Result: ${s.result}` : 'dead';
  const lines = [
    `${s.state === 'active' ? '●' : s.state === 'failed' ? '×' : '○'} ${name} - ${u.description}`,
    `     Loaded: loaded (${u.file}; ${enabled}; preset: enabled)`,
  ];
  if (u.dropIns.length) {
    const dirs = [...new Set(u.dropIns.map((d) => d.slice(0, d.lastIndexOf('/'))))];
    lines.push(
      `    Drop-In: ${dirs[0]}`,
      ...u.dropIns.map((d) => `             └─${d.slice(d.lastIndexOf('/') + 1)}`),
    );
  }
  lines.push(`     Active: ${s.state} (${sub}) since ${s.since}`);
  if (s.mainPid) lines.push(`   Main PID: ${s.mainPid}`);
  try {
    const tail = readFileSync(join(logDir, `${name}.log`), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-10);
    lines.push('', ...tail);
  } catch {
    // no log yet
  }
  const warn = changedOnDisk(name, s) ? reloadWarning(name) : '';
  return { code: s.state === 'active' ? 0 : 3, stdout: lines.join('\n') + '\n', stderr: warn };
}

function show(name: string, props: string[], valueOnly: boolean): Reply {
  const s = svc(name);
  const all: Record<string, string> = {
    Id: name,
    ActiveState: s.state,
    SubState: s.state === 'active' ? 'running' : s.state === 'failed' ? 'failed' : 'dead',
    MainPID: String(s.mainPid ?? 0),
    Result: s.result,
    FragmentPath: s.loaded?.file ?? '',
    DropInPaths: (s.loaded?.dropIns ?? []).join(' '),
    ExecStart: s.loaded?.execStart ?? '',
    User: s.loaded?.user ?? '',
    NeedDaemonReload: changedOnDisk(name, s) ? 'yes' : 'no',
  };
  const keys = props.length ? props : Object.keys(all);
  return {
    code: 0,
    stdout: keys.map((k) => (valueOnly ? (all[k] ?? '') : `${k}=${all[k] ?? ''}`)).join('\n') + '\n',
    stderr: '',
  };
}

function catUnit(name: string): Reply {
  const f = findUnitFiles(name);
  if (!f) return { code: 1, stdout: '', stderr: `No files found for ${name}.\n` };
  return {
    code: 0,
    stdout: [f.file, ...f.dropIns].map((p) => `# ${p}\n${readFileSync(p, 'utf8')}`).join('\n'),
    stderr: '',
  };
}

function daemonReload(): Reply {
  for (const [name, s] of services) {
    s.loaded = loadUnit(name);
    record(name, s);
  }
  log('daemon-reload');
  return { code: 0, stdout: '', stderr: '' };
}

async function handle(argv: string[]): Promise<Reply> {
  const args = argv.filter((a) => !a.startsWith('-') || a === '-p');
  const flags = argv.filter((a) => a.startsWith('--'));
  const [verb, ...rest] = args;
  const units = rest.filter((a) => a !== '-p').map(unitName);
  const each = async (fn: (u: string) => Promise<Reply> | Reply): Promise<Reply> => {
    if (!units.length) return { code: 1, stdout: '', stderr: `Too few arguments.\n` };
    const out: Reply = { code: 0, stdout: '', stderr: '' };
    for (const u of units) {
      const r = await fn(u);
      out.code = out.code || r.code;
      out.stdout += r.stdout;
      out.stderr += r.stderr;
    }
    return out;
  };
  switch (verb) {
    case 'start':
      return each(start);
    case 'stop':
      return each(stop);
    case 'restart':
      return each(async (u) => {
        await stop(u);
        return start(u);
      });
    case 'is-active':
      return each((u) => {
        const st = svc(u).state;
        return {
          code: st === 'active' ? 0 : 3,
          stdout: flags.includes('--quiet') || flags.includes('-q') ? '' : `${st}\n`,
          stderr: '',
        };
      });
    case 'is-failed':
      return each((u) => ({
        code: svc(u).state === 'failed' ? 0 : 1,
        stdout: `${svc(u).state}\n`,
        stderr: '',
      }));
    case 'status':
      return each(status);
    case 'daemon-reload':
      return daemonReload();
    case 'enable':
    case 'disable':
    case 'is-enabled':
      return each((u) => {
        const link = join(WANTS, u);
        if (verb === 'is-enabled')
          return existsSync(link)
            ? { code: 0, stdout: 'enabled\n', stderr: '' }
            : { code: 1, stdout: 'disabled\n', stderr: '' };
        mkdirSync(WANTS, { recursive: true });
        if (verb === 'enable' && !existsSync(link))
          execFileSync('ln', ['-s', findUnitFiles(u)?.file ?? `/usr/lib/systemd/system/${u}`, link]);
        if (verb === 'disable') rmSync(link, { force: true });
        return { code: 0, stdout: '', stderr: '' };
      });
    case 'show': {
      const props = argv.flatMap((a, i) =>
        a === '-p' || a === '--property'
          ? (argv[i + 1] ?? '').split(',')
          : a.startsWith('--property=')
            ? a.slice(11).split(',')
            : [],
      );
      const unit = units.find((u) => !props.includes(u.replace(/\.service$/, '')));
      return show(unit ?? 'etcd.service', props, flags.includes('--value'));
    }
    case 'cat':
      return each(catUnit);
    default:
      return {
        code: 1,
        stdout: '',
        stderr:
          `Unknown command verb ${verb ?? ''} (lab stand-in supports start, stop, restart, ` +
          `is-active, is-failed, status, show, cat, daemon-reload, enable, disable, is-enabled).\n`,
      };
  }
}

rmSync(socketPath, { force: true });
let queue = Promise.resolve();
const READ_ONLY = new Set(['is-active', 'is-failed', 'is-enabled', 'status', 'show', 'cat']);
const server = createServer((sock) => {
  let buf = '';
  sock.on('data', (d) => {
    buf += d.toString();
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    const argv = JSON.parse(buf.slice(0, nl)) as string[];
    const reply = async () => {
      const r = await handle(argv).catch((err: Error) => ({
        code: 1,
        stdout: '',
        stderr: `${err.message}\n`,
      }));
      sock.end(JSON.stringify(r) + '\n');
    };
    // Jobs that change state run one at a time, as systemd queues jobs; queries answer at once.
    if (READ_ONLY.has(argv.find((a) => !a.startsWith('-')) ?? '')) void reply();
    else queue = queue.then(reply);
  });
  sock.on('error', () => undefined);
});
server.listen(socketPath, () => {
  log(`listening on ${socketPath}`);
  let wants: string[] = [];
  try {
    wants = readdirSync(WANTS).filter((f) => f.endsWith('.service'));
  } catch {
    wants = [];
  }
  for (const u of wants) queue = queue.then(async () => void (await start(u)));
});
process.on('SIGTERM', () => {
  for (const s of services.values())
    if (s.child?.pid) {
      try {
        process.kill(-s.child.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
  process.exit(0);
});
