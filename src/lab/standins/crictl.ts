// crictl stand-in: `crictl ps [-a] [--name RE] [-q]`, `crictl pods`, `crictl logs ID` from the kubelet stand-in's pod records.
import { readFileSync } from 'node:fs';
import { readPods } from './podstate.js';

const args = process.argv.slice(2);
let stateDir = '/run/kubelet';
if (args[0] === '--state') {
  stateDir = args[1] ?? stateDir;
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
  const rows = pods.flatMap((p) => p.containers.map((c) => ({ p, c }))).filter(({ c }) => (all || c.state === 'running') && (!nameRe || nameRe.test(c.name)));
  if (quiet) process.stdout.write(rows.map(({ c }) => c.id).join('\n') + (rows.length ? '\n' : ''));
  else {
    process.stdout.write(`${'CONTAINER'.padEnd(15)}${'IMAGE'.padEnd(40)}${'CREATED'.padEnd(20)}${'STATE'.padEnd(10)}${'NAME'.padEnd(18)}${'ATTEMPT'.padEnd(9)}POD\n`);
    for (const { p, c } of rows) {
      process.stdout.write(`${c.id.padEnd(15)}${c.image.padEnd(40)}${ago(c.startedAt).padEnd(20)}${(c.state === 'running' ? 'Running' : 'Exited').padEnd(10)}${c.name.padEnd(18)}${String(c.attempt).padEnd(9)}${p.name}\n`);
    }
  }
} else if (verb === 'pods') {
  process.stdout.write(`${'POD'.padEnd(36)}${'NAMESPACE'.padEnd(14)}STATE\n`);
  for (const p of pods) process.stdout.write(`${p.name.padEnd(36)}${p.namespace.padEnd(14)}${p.containers.some((c) => c.state === 'running') ? 'Ready' : 'NotReady'}\n`);
} else if (verb === 'logs') {
  const c = pods.flatMap((p) => p.containers).find((x) => x.id.startsWith(args[args.length - 1] ?? '-'));
  if (!c) {
    process.stderr.write(`crictl: container ${args[args.length - 1]} not found\n`);
    process.exitCode = 1;
  } else process.stdout.write(readFileSync(c.log, 'utf8'));
} else {
  process.stderr.write('crictl (lab stand-in): supports ps [-a] [--name RE] [-q], pods, logs ID\n');
  process.exitCode = 1;
}
