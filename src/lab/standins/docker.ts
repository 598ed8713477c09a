// docker stand-in for a lab host: the subset the sources and the docker adapter use, with no daemon.
//   info | version | ps [-a] [-q] | inspect [-f FMT] NAME... | volume inspect|ls | logs NAME
// run [--rm] [-d] [-i] [-t] [--name N] [--network host] [--restart P] [-v SRC:DST[:ro]] [-e K=V]
// [--entrypoint E] IMAGE [ARG...]
// create (as run -d, not started) | start | stop [-t N] | restart | rename OLD NEW | exec [-i] [-t] [-e
// K=V] NAME CMD...
// Containers are processes of this host (detached, own session) in a child mount namespace carrying their volume and
// bind mounts; records live in /var/lib/docker/lifeboat/containers/NAME.json, named volumes in
// /var/lib/docker/volumes/NAME/_data as docker keeps them. An image is a folder of the lab (IMAGES/etcd
// for etcd images);
// programs are looked up in it only. No restarts: a container that exits stays exited (`--restart` is recorded; the
// host's boot starts containers whose policy says so, as dockerd does). Go templates: {{.A.B}}, {{json .X}},
// {{join .X " "}}, {{range .X}}{{println .}}{{end}}, {{range .X}}{{.Field}}{{end}}.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { sh } from '../../shell/sh.js';

const argv = process.argv.slice(2);
let imagesDir = '/var/lib/lifeboat-images';
let logDir = '/var/log';
while (argv[0] === '--images' || argv[0] === '--logs') {
  if (argv[0] === '--images') imagesDir = argv[1] ?? imagesDir;
  else logDir = argv[1] ?? logDir;
  argv.splice(0, 2);
}
const ROOT = '/var/lib/docker';
const CDIR = join(ROOT, 'lifeboat', 'containers');
const VDIR = join(ROOT, 'volumes');

interface Mount {
  Type: 'volume' | 'bind';
  Name?: string;
  Source: string;
  Destination: string;
  RW: boolean;
}
interface Container {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: { Image: string; Env: string[]; Cmd: string[]; Entrypoint: string[] | null };
  HostConfig: {
    Binds: string[];
    NetworkMode: string;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    AutoRemove: boolean;
  };
  Mounts: Mount[];
  State: {
    Status: string;
    Running: boolean;
    Pid: number;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    StartTime?: string;
  };
  LogPath: string;
}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);
function fail(msg: string, code = 1): never {
  err(`${msg}\n`);
  process.exit(code);
}

function pidStart(pid: number): string | null {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return f[0] === 'Z' || f[0] === 'X' ? null : (f[19] ?? null);
  } catch {
    return null;
  }
}

function load(name: string): Container | null {
  const n = name.replace(/^\//, '');
  let file = join(CDIR, `${n}.json`);
  if (!existsSync(file)) {
    const byId = existsSync(CDIR)
      ? readdirSync(CDIR).find((f) =>
          (JSON.parse(readFileSync(join(CDIR, f), 'utf8')) as Container).Id.startsWith(n),
        )
      : undefined;
    if (!byId || n.length < 4) return null;
    file = join(CDIR, byId);
  }
  const c = JSON.parse(readFileSync(file, 'utf8')) as Container;
  // Running means: the recorded process is alive and is the same process (start time), as dockerd would know.
  if (c.State.Running && (c.State.Pid <= 0 || pidStart(c.State.Pid) !== c.State.StartTime)) {
    c.State.Running = false;
    c.State.Status = 'exited';
    c.State.Pid = 0;
    c.State.FinishedAt = new Date().toISOString();
    save(c);
  }
  return c;
}

function save(c: Container): void {
  mkdirSync(CDIR, { recursive: true });
  const f = join(CDIR, `${c.Name.replace(/^\//, '')}.json`);
  writeFileSync(`${f}.tmp`, JSON.stringify(c, null, 2));
  renameSync(`${f}.tmp`, f);
}

function all(): Container[] {
  if (!existsSync(CDIR)) return [];
  return readdirSync(CDIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => load(f.slice(0, -5)))
    .filter((c): c is Container => c !== null);
}

function volumePath(name: string): string {
  return join(VDIR, name, '_data');
}

/** `-v SRC:DST[:ro]`: a name without a slash is a named volume (created on first use). */
function parseMount(spec: string): Mount {
  const [src = '', dst = '', opt] = spec.split(':');
  if (!dst.startsWith('/'))
    fail(
      `docker: Error response from daemon: invalid mount config for type "bind": invalid mount ` +
        `path: '${dst}' mount path must be absolute.`,
      125,
    );
  const rw = opt !== 'ro';
  if (!src.startsWith('/')) {
    mkdirSync(volumePath(src), { recursive: true });
    return { Type: 'volume', Name: src, Source: volumePath(src), Destination: dst, RW: rw };
  }
  if (!existsSync(src)) mkdirSync(src, { recursive: true }); // docker creates a missing bind source as a folder
  return { Type: 'bind', Source: src, Destination: dst, RW: rw };
}

/** A program of the image: looked up in the image's folders only. */
function imageProgram(image: string, prog: string): string | null {
  const root = join(
    imagesDir,
    /etcd/.test(image) ? 'etcd' : /apiserver|hyperkube/.test(image) ? 'kube-apiserver' : 'none',
  );
  if (prog.includes('/')) return existsSync(join(root, prog)) ? join(root, prog) : null;
  for (const d of ['usr/local/bin', 'usr/bin', 'bin'])
    if (existsSync(join(root, d, prog))) return join(root, d, prog);
  return null;
}

/** The container's process: a child mount namespace with its mounts, then the image's program. */
function launchArgs(c: Container): [string, string[]] {
  const prog = imageProgram(c.Config.Image, c.Path);
  if (!prog)
    fail(
      `docker: Error response from daemon: failed to create task for container: exec: "${c.Path}": ` +
        `executable file not found in $PATH: unknown.`,
      127,
    );
  const binds = c.Mounts.filter((m) => m.Source !== m.Destination).map((m) => {
    // Mount points are made only inside the host's own trees (never on the machine's shared root).
    const inHost = /^\/(etc|var\/lib|run|backup|tmp)(\/|$)/.test(m.Destination);
    return sh.join(
      [
        inHost && sh`mkdir -p ${m.Destination}`,
        sh`mount --bind ${m.Source} ${m.Destination}`,
        !m.RW && sh`mount -o remount,bind,ro ${m.Destination}`,
      ],
      ' && ',
    );
  });
  return [
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      sh.join([...binds, sh`exec "$0" "$@"`], ' && ').text,
      prog,
      ...c.Args,
    ],
  ];
}

function envOf(c: Container): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    HOSTNAME: c.Id.slice(0, 12),
  };
  for (const e of c.Config.Env) {
    const i = e.indexOf('=');
    if (i > 0) env[e.slice(0, i)] = e.slice(i + 1);
  }
  return env;
}

function start(c: Container): void {
  if (c.State.Running) return;
  const [file, args] = launchArgs(c);
  const fd = openSync(c.LogPath, 'a');
  const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env: envOf(c), cwd: '/' });
  closeSync(fd);
  child.unref();
  const pid = child.pid ?? 0;
  c.State = {
    Status: 'running',
    Running: true,
    Pid: pid,
    ExitCode: 0,
    StartedAt: new Date().toISOString(),
    FinishedAt: '0001-01-01T00:00:00Z',
    StartTime: pidStart(pid) ?? '',
  };
  save(c);
}

function waitGone(pid: number, startTime: string | undefined, ms: number): boolean {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (pidStart(pid) !== startTime) return true;
    spawnSync('sleep', ['0.05']);
  }
  return pidStart(pid) !== startTime;
}

function stop(c: Container, timeoutS: number): void {
  if (!c.State.Running) return;
  const { Pid: pid, StartTime: st } = c.State;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // gone
  }
  if (!waitGone(pid, st, timeoutS * 1000)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    waitGone(pid, st, 5000);
  }
  c.State = {
    ...c.State,
    Status: 'exited',
    Running: false,
    Pid: 0,
    ExitCode: 0,
    FinishedAt: new Date().toISOString(),
  };
  save(c);
}

interface RunOpts {
  rm: boolean;
  detach: boolean;
  name?: string;
  network: string;
  restart: string;
  volumes: string[];
  env: string[];
  entrypoint?: string;
  image: string;
  args: string[];
}

function parseRun(a: string[]): RunOpts {
  const o: RunOpts = {
    rm: false,
    detach: false,
    network: 'default',
    restart: 'no',
    volumes: [],
    env: [],
    image: '',
    args: [],
  };
  let i = 0;
  const val = (flag: string): string => {
    const eq = a[i]!.indexOf('=');
    if (a[i]!.startsWith('--') && eq > 0) return a[i]!.slice(eq + 1);
    const v = a[++i];
    if (v === undefined) fail(`docker: flag needs an argument: ${flag}`, 125);
    return v;
  };
  for (; i < a.length; i++) {
    const x = a[i]!;
    if (!x.startsWith('-')) break;
    const f = x.split('=')[0]!;
    if (f === '--rm') o.rm = true;
    else if (f === '-d' || f === '--detach') o.detach = true;
    else if (f === '-i' || f === '-t' || f === '-it' || f === '-ti' || f === '--interactive' || f === '--tty')
      continue;
    else if (f === '--name') o.name = val(f);
    else if (f === '--network' || f === '--net') o.network = val(f);
    else if (f === '--restart') o.restart = val(f);
    else if (f === '-v' || f === '--volume') o.volumes.push(val(f));
    else if (f === '-e' || f === '--env') o.env.push(val(f));
    else if (f === '--entrypoint') o.entrypoint = val(f);
    else if (
      f === '-p' ||
      f === '--publish' ||
      f === '-w' ||
      f === '--workdir' ||
      f === '--user' ||
      f === '-u'
    )
      val(f);
    else fail(`unknown flag: ${x}\nSee 'docker run --help'.`, 125);
  }
  o.image = a[i] ?? '';
  if (!o.image) fail('"docker run" requires at least 1 argument.', 125);
  o.args = a.slice(i + 1);
  return o;
}

function makeContainer(o: RunOpts): Container {
  const name = o.name ?? `lab_${randomBytes(3).toString('hex')}`;
  if (o.name && load(o.name))
    fail(
      `docker: Error response from daemon: Conflict. The container name "/${o.name}" is already in ` +
        `use. You have to remove (or rename) that container to be able to reuse that name.`,
      125,
    );
  const entry = o.entrypoint ? [o.entrypoint] : null;
  const argvAll = [...(entry ?? []), ...o.args];
  if (argvAll.length === 0) fail('docker: Error response from daemon: no command specified.', 125);
  const id = createHash('sha256')
    .update(`${name}${Date.now()}${randomBytes(8).toString('hex')}`)
    .digest('hex');
  mkdirSync(logDir, { recursive: true });
  return {
    Id: id,
    Name: `/${name}`,
    Created: new Date().toISOString(),
    Path: argvAll[0]!,
    Args: argvAll.slice(1),
    Config: { Image: o.image, Env: o.env, Cmd: o.args, Entrypoint: entry },
    HostConfig: {
      Binds: o.volumes,
      NetworkMode: o.network,
      RestartPolicy: { Name: o.restart, MaximumRetryCount: 0 },
      AutoRemove: o.rm,
    },
    Mounts: o.volumes.map(parseMount),
    State: {
      Status: 'created',
      Running: false,
      Pid: 0,
      ExitCode: 0,
      StartedAt: '0001-01-01T00:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
    },
    LogPath: join(logDir, `docker-${name}.log`),
  };
}

/**
 * A foreground `docker run --rm`: the image's program in a throwaway mount namespace, output and exit
 * code passed through.
 */
function runForeground(o: RunOpts): number {
  const c = makeContainer({ ...o, name: o.name ?? `lab_${randomBytes(3).toString('hex')}` });
  const [file, args] = launchArgs(c);
  const r = spawnSync(file, args, { stdio: 'inherit', env: envOf(c) });
  return r.status ?? 125;
}

// ---- Go templates (the subset) ----
function lookup(obj: unknown, path: string): unknown {
  if (path === '.') return obj;
  let v: unknown = obj;
  for (const k of path.replace(/^\./, '').split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}
const show = (v: unknown): string =>
  v === undefined || v === null
    ? '<no value>'
    : Array.isArray(v)
      ? `[${v.map(show).join(' ')}]`
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);

function render(tpl: string, obj: unknown): string {
  let outS = '';
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf('{{', i);
    if (open < 0) {
      outS += tpl.slice(i);
      break;
    }
    outS += tpl.slice(i, open);
    const close = tpl.indexOf('}}', open);
    if (close < 0) fail(`template: unclosed action`, 64);
    const act = tpl.slice(open + 2, close).trim();
    i = close + 2;
    const range = /^range\s+(\S+)$/.exec(act);
    if (range) {
      const end = tpl.indexOf('{{end}}', i);
      if (end < 0) fail('template: range without end', 64);
      const body = tpl.slice(i, end);
      const list = lookup(obj, range[1]!);
      if (Array.isArray(list)) for (const item of list) outS += render(body, item);
      i = end + '{{end}}'.length;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^json\s+(\S+)$/.exec(act))) outS += JSON.stringify(lookup(obj, m[1]!) ?? null);
    else if ((m = /^join\s+(\S+)\s+"(.*)"$/.exec(act)))
      outS += ((lookup(obj, m[1]!) as unknown[] | null) ?? []).map(String).join(m[2]!.replace(/\\n/g, '\n'));
    else if ((m = /^println\s+(\S+)$/.exec(act))) outS += `${show(lookup(obj, m[1]!))}\n`;
    else if (act.startsWith('.')) outS += show(lookup(obj, act));
    else fail(`template: unsupported action {{${act}}} (lab stand-in)`, 64);
  }
  return outS;
}

function takeFormat(a: string[]): { fmt: string | undefined; rest: string[] } {
  let fmt: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x === '-f' || x === '--format') fmt = a[++i];
    else if (x.startsWith('--format=')) fmt = x.slice(9);
    else if (x === '--type') i++;
    else if (x.startsWith('--type=')) continue;
    else rest.push(x);
  }
  return { fmt, rest };
}

function volumeJson(name: string): Record<string, unknown> | null {
  if (!existsSync(join(VDIR, name, '_data'))) return null;
  return {
    CreatedAt: new Date().toISOString(),
    Driver: 'local',
    Labels: null,
    Mountpoint: volumePath(name),
    Name: name,
    Options: null,
    Scope: 'local',
  };
}

const [verb, ...rest] = argv;
switch (verb) {
  case 'info':
    out(
      `Client:\n Context:    default\n\nServer:\n Containers: ${all().length}\n Server Version: ` +
        `24.0.7-lifeboat-lab\n Storage Driver: (lab stand-in: host folders)\n Docker Root Dir: ` +
        `${ROOT}\n`,
    );
    break;
  case 'version': {
    const { fmt } = takeFormat(rest);
    const v = { Client: { Version: '24.0.7-lifeboat-lab' }, Server: { Version: '24.0.7-lifeboat-lab' } };
    out(
      fmt
        ? `${render(fmt, v)}\n`
        : 'Client: Docker Engine (lifeboat lab stand-in)\n Version: 24.0.7\nServer:\n Version: 24.0.7\n',
    );
    break;
  }
  case 'ps': {
    const a = rest.includes('-a') || rest.includes('--all');
    const quiet = rest.includes('-q') || rest.includes('--quiet');
    const list = all().filter((c) => a || c.State.Running);
    if (quiet) out(list.map((c) => `${c.Id.slice(0, 12)}\n`).join(''));
    else {
      out(`CONTAINER ID   IMAGE${' '.repeat(35)}COMMAND${' '.repeat(20)}STATUS      NAMES\n`);
      for (const c of list)
        out(
          `${c.Id.slice(0, 12)}   ${c.Config.Image.padEnd(40)}` +
            `${JSON.stringify(c.Path).slice(0, 25).padEnd(27)}` +
            `${(c.State.Running ? 'Up' : 'Exited').padEnd(12)}${c.Name.slice(1)}\n`,
        );
    }
    break;
  }
  case 'inspect': {
    const { fmt, rest: names } = takeFormat(rest);
    if (!names.length) fail('"docker inspect" requires at least 1 argument.', 1);
    const found: unknown[] = [];
    let missing = false;
    for (const n of names) {
      const c = load(n) ?? volumeJson(n);
      if (!c) {
        err(`Error: No such object: ${n}\n`);
        missing = true;
      } else found.push(c);
    }
    if (fmt) for (const c of found) out(`${render(fmt, c)}\n`);
    else out(`${JSON.stringify(found, null, 4)}\n`);
    process.exitCode = missing ? 1 : 0;
    break;
  }
  case 'volume': {
    const [sub, ...vr] = rest;
    if (sub === 'ls') {
      out('DRIVER    VOLUME NAME\n');
      if (existsSync(VDIR)) for (const v of readdirSync(VDIR)) out(`local     ${v}\n`);
    } else if (sub === 'inspect') {
      const { fmt, rest: names } = takeFormat(vr);
      const found = names.map((n) => volumeJson(n));
      const bad = names.filter((_, i) => !found[i]);
      for (const b of bad) err(`Error response from daemon: get ${b}: no such volume\n`);
      const ok = found.filter((v): v is Record<string, unknown> => v !== null);
      if (fmt) for (const v of ok) out(`${render(fmt, v)}\n`);
      else out(`${JSON.stringify(ok, null, 4)}\n`);
      process.exitCode = bad.length ? 1 : 0;
    } else fail(`docker volume ${sub ?? ''}: the lab stand-in supports ls and inspect`, 1);
    break;
  }
  case 'logs': {
    const c = load(rest[rest.length - 1] ?? '');
    if (!c) fail(`Error response from daemon: No such container: ${rest[rest.length - 1] ?? ''}`);
    out(existsSync(c.LogPath) ? readFileSync(c.LogPath, 'utf8') : '');
    break;
  }
  case 'run': {
    const o = parseRun(rest);
    if (o.detach) {
      const c = makeContainer(o);
      save(c);
      start(c);
      out(`${c.Id}\n`);
    } else process.exitCode = runForeground(o);
    break;
  }
  case 'create': {
    const c = makeContainer(parseRun(rest));
    save(c);
    out(`${c.Id}\n`);
    break;
  }
  case 'start':
  case 'stop':
  case 'restart': {
    let t = 10;
    const names: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '-t' || rest[i] === '--time') t = Number(rest[++i] ?? '10');
      else if (rest[i]!.startsWith('--time=')) t = Number(rest[i]!.slice(7));
      else names.push(rest[i]!);
    }
    if (!names.length) fail(`"docker ${verb}" requires at least 1 argument.`);
    let bad = false;
    for (const n of names) {
      const c = load(n);
      if (!c) {
        err(`Error response from daemon: No such container: ${n}\n`);
        bad = true;
        continue;
      }
      if (verb !== 'start') stop(c, t);
      if (verb !== 'stop') start(c);
      out(`${n}\n`);
    }
    process.exitCode = bad ? 1 : 0;
    break;
  }
  case 'rename': {
    const [from, to] = rest;
    if (!from || !to) fail('"docker rename" requires exactly 2 arguments.');
    const c = load(from);
    if (!c) fail(`Error response from daemon: No such container: ${from}`);
    if (load(to))
      fail(
        `Error response from daemon: Error when allocating new name: Conflict. The container name ` +
          `"/${to}" is already in use.`,
      );
    // The record follows the container's name (the container itself, its process and volumes are unchanged).
    renameSync(join(CDIR, `${c.Name.slice(1)}.json`), join(CDIR, `${to}.json`));
    c.Name = `/${to}`;
    save(c);
    break;
  }
  case 'exec': {
    const env: string[] = [];
    let i = 0;
    for (; i < rest.length; i++) {
      const x = rest[i]!;
      if (x === '-e' || x === '--env') env.push(rest[++i] ?? '');
      else if (x.startsWith('-')) continue;
      else break;
    }
    const [name, cmd, ...cargs] = rest.slice(i);
    if (!name || !cmd) fail('"docker exec" requires at least 2 arguments.');
    const c = load(name);
    if (!c) fail(`Error response from daemon: No such container: ${name}`);
    if (!c.State.Running) fail(`Error response from daemon: Container ${c.Id} is not running`);
    const prog = imageProgram(c.Config.Image, cmd);
    if (!prog)
      fail(
        `OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": ` +
          `executable file not found in $PATH: unknown`,
        126,
      );
    const e = envOf(c);
    for (const kv of env) {
      const k = kv.indexOf('=');
      if (k > 0) e[kv.slice(0, k)] = kv.slice(k + 1);
    }
    // The container's main process runs under `unshare`: its child (the program) is in the container's mount namespace.
    const r = spawnSync('nsenter', ['--target', String(c.State.Pid), '--mount', '--', prog, ...cargs], {
      stdio: 'inherit',
      env: e,
    });
    process.exitCode = r.status ?? 126;
    break;
  }
  default:
    fail(
      `docker: '${verb ?? ''}' is not supported by the lifeboat lab stand-in (info, version, ps, ` +
        `inspect, volume, logs, run, create, start, stop, restart, rename, exec)`,
      1,
    );
}
