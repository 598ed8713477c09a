// crictl stand-in: `crictl ps [-a] [--name RE] [-q]`, `crictl pods`, `crictl logs ID`, `crictl exec
// [-i] [-t] ID CMD...`
// from the kubelet stand-in's pod records. exec runs CMD in the container's mount namespace with the image's files:
// a program name is looked up in the image only (IMAGES/etcd/usr/local/bin for an etcd image), as in a
// distroless image.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPods } from './podstate.js';

const args = process.argv.slice(2);
let stateDir = '/run/kubelet';
let imagesDir = '/var/lib/lifeboat-images';
while (args[0] === '--state' || args[0] === '--images') {
  if (args[0] === '--state') stateDir = args[1] ?? stateDir;
  else imagesDir = args[1] ?? imagesDir;
  args.splice(0, 2);
}
const verb = args[0];
const all = args.includes('-a') || args.includes('--all');
const quiet = args.includes('-q') || args.includes('--quiet');
const nameIdx = args.findIndex((a) => a === '--name');
const nameRe = nameIdx >= 0 ? new RegExp(args[nameIdx + 1] ?? '') : null;
const pods = readPods(stateDir);
const ago = (iso: string) => `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))} seconds ago`;

if (verb === 'ps') {
  const rows = pods
    .flatMap((p) => p.containers.map((c) => ({ p, c })))
    .filter(({ c }) => (all || c.state === 'running') && (!nameRe || nameRe.test(c.name)));
  if (quiet) process.stdout.write(rows.map(({ c }) => c.id).join('\n') + (rows.length ? '\n' : ''));
  else {
    process.stdout.write(
      `${'CONTAINER'.padEnd(15)}${'IMAGE'.padEnd(40)}${'CREATED'.padEnd(20)}${'STATE'.padEnd(10)}` +
        `${'NAME'.padEnd(18)}${'ATTEMPT'.padEnd(9)}POD\n`,
    );
    for (const { p, c } of rows) {
      process.stdout.write(
        `${c.id.padEnd(15)}${c.image.padEnd(40)}${ago(c.startedAt).padEnd(20)}` +
          `${(c.state === 'running' ? 'Running' : 'Exited').padEnd(10)}${c.name.padEnd(18)}` +
          `${String(c.attempt).padEnd(9)}${p.name}\n`,
      );
    }
  }
} else if (verb === 'pods') {
  process.stdout.write(`${'POD'.padEnd(36)}${'NAMESPACE'.padEnd(14)}STATE\n`);
  for (const p of pods)
    process.stdout.write(
      `${p.name.padEnd(36)}${p.namespace.padEnd(14)}` +
        `${p.containers.some((c) => c.state === 'running') ? 'Ready' : 'NotReady'}\n`,
    );
} else if (verb === 'logs') {
  const c = pods.flatMap((p) => p.containers).find((x) => x.id.startsWith(args[args.length - 1] ?? '-'));
  if (!c) {
    process.stderr.write(`crictl: container ${args[args.length - 1]} not found\n`);
    process.exitCode = 1;
  } else process.stdout.write(readFileSync(c.log, 'utf8'));
} else if (verb === 'exec') {
  const rest = args.slice(1);
  while (rest[0]?.startsWith('-')) rest.shift(); // -i, -t, -it, --sync
  const [id, cmd, ...cargs] = rest;
  const c = pods
    .flatMap((p) => p.containers)
    .find((x) => id !== undefined && x.id.startsWith(id) && x.state === 'running');
  if (!id || !cmd) {
    process.stderr.write('crictl exec: usage: crictl exec [-i] [-t] CONTAINER-ID COMMAND [ARG...]\n');
    process.exitCode = 1;
  } else if (!c || c.pid === null) {
    process.stderr.write(
      `crictl: rpc error: code = NotFound desc = could not find container "${id}": container is not running\n`,
    );
    process.exitCode = 1;
  } else {
    const root = join(imagesDir, /etcd/.test(c.image) ? 'etcd' : 'none');
    const prog = cmd.includes('/')
      ? join(root, cmd)
      : ['usr/local/bin', 'usr/bin', 'bin'].map((d) => join(root, d, cmd)).find((f) => existsSync(f));
    if (!prog || !existsSync(prog)) {
      process.stderr.write(
        `crictl: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH\n`,
      );
      process.exitCode = 126;
    } else {
      const r = spawnSync('nsenter', ['--target', String(c.pid), '--mount', '--', prog, ...cargs], {
        stdio: 'inherit',
      });
      process.exitCode = r.status ?? 1;
    }
  }
} else {
  process.stderr.write(
    'crictl (lab stand-in): supports ps [-a] [--name RE] [-q], pods, logs ID, exec [-i] [-t] ID CMD...\n',
  );
  process.exitCode = 1;
}
