// `lifeboat lab up|status|break|reboot|exec|down`: the local DR lab (see docs/lab.md).
import { parse, oneOf } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import {
  formatStatus,
  labBreak,
  labDown,
  labReboot,
  labStatus,
  labUp,
  labReaddress,
  readLab,
  LAB_MODES,
  DEFAULT_ETCD_VERSION,
  ETCD_VERSIONS,
  CONTROL_PLANES,
  SCENARIOS,
} from '../../lab/index.js';
import { execInHostAttached } from '../../lab/hosts.js';
import { parseAccess } from '../../lab/access.js';
import { sh } from '../../shell/sh.js';

const HELP = `Usage: lifeboat lab <command> [options]

  up [--members 3|5|7] [--mode static-pod|systemd] [--dir DIR] [--subnet 127.0.N] [--seed-data]
     [--access root|sudo|jump|sudo,jump] [--no-etcdctl MEMBER[,MEMBER]] [--leases] [--cp-endpoints] [--bare]
     [--quota-bytes N] [--etcd-version 3.5|3.6|3.7] [--control-plane real|stand-in]
        bring a lab up (default: 3 members, static-pod, ./.lifeboat/lab, a free 127.0.N block, root over direct SSH);
        sudo: the inventory's user is the non-root 'lbops' with passwordless sudo (root login refused);
        --bare: new machines (sshd, etcd binaries, empty kubeadm layout; no cluster, data or PKI);
        --leases: API server stand-ins keep /registry/masterleases/ADDRESS and the kubernetes Endpoints/EndpointSlice;
        --cp-endpoints (with --seed-data): a control-plane Service's Endpoints/EndpointSlice naming every member, kept
        up to date by nothing (after lab readdress they name the old address);
        jump: only a bastion (127.0.N.10) is reachable, the members only through it (inventory ssh.jump)
        --etcd-version: 3.6 (default), 3.7 or 3.5: the release scripts/gobuild/etcd-X.Y pins, built by setup
        --control-plane: stand-in (default; cheap, no Kubernetes API) or real (static-pod only: the pinned release's
        kube-apiserver, controller-manager, scheduler, built by setup.sh; DIR/admin.conf for kubectl)
  status [--dir DIR] [--output json]
        member, address, sshd, etcd, healthy, leader, raft index, revision
  break SCENARIO [--member NAME] [--dir DIR]
        ${SCENARIOS.join(', ')}
  reboot MEMBER [--dir DIR]
        power-cycle a host: every process killed at once, then it boots again (static pods and units come back)
  exec MEMBER [--dir DIR] -- COMMAND...
        run a command inside a host, as root
  readdress MEMBER --address 127.0.N.X [--dir DIR]
        move a host to a new address as a re-IP would: sshd moves, the old address vanishes, etcd and the API
        server stop; their configuration still names the old address; the inventory gets previousAddress
  down [--dir DIR]
        stop every process of the lab by pid; works after a crashed 'lab up'
`;

const out = (s: string) => process.stdout.write(s + '\n');
const err = (s: string) => process.stderr.write(s + '\n');

/** `--no-etcdctl a,b`: the member names, blanks dropped. */
const memberList = (s: string | undefined) =>
  s === undefined
    ? []
    : s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);

async function up(rest: string[]): Promise<number> {
  const { values: v } = parse(
    'lab up',
    rest,
    {
      members: { type: 'string' },
      mode: { type: 'string' },
      dir: { type: 'string' },
      subnet: { type: 'string' },
      'seed-data': { type: 'boolean' },
      access: { type: 'string' },
      'no-etcdctl': { type: 'string' },
      'etcd-version': { type: 'string' },
      'quota-bytes': { type: 'string' },
      leases: { type: 'boolean' },
      'cp-endpoints': { type: 'boolean' },
      bare: { type: 'boolean' },
      'control-plane': { type: 'string' },
    },
    false,
  );
  if (v.help) return help();
  const members = v.members === undefined ? 3 : Number(v.members);
  if (![3, 5, 7].includes(members))
    throw usage(`lab up: --members '${v.members}' is not 3, 5 or 7`, 'use --members 3|5|7');
  const mode = oneOf('lab up', 'mode', v.mode, LAB_MODES, 'static-pod');
  const etcdVersion = oneOf('lab up', 'etcd-version', v['etcd-version'], ETCD_VERSIONS, DEFAULT_ETCD_VERSION);
  const controlPlane = oneOf('lab up', 'control-plane', v['control-plane'], CONTROL_PLANES, 'stand-in');
  const access = v.access === undefined ? undefined : parseAccess(v.access);
  if (v.access !== undefined && !access)
    throw usage(
      `lab up: --access '${v.access}' is not root, sudo, jump or sudo,jump`,
      'use --access sudo, --access jump or --access sudo,jump',
    );
  const lab = await labUp({
    members,
    mode,
    ...(access ? { access } : {}),
    noEtcdctl: memberList(v['no-etcdctl']),
    etcdVersion,
    ...(v['quota-bytes'] !== undefined ? { quotaBytes: Number(v['quota-bytes']) } : {}),
    ...(v.dir ? { dir: v.dir } : {}),
    ...(v.subnet ? { subnet: v.subnet } : {}),
    seedData: v['seed-data'] === true,
    leases: v.leases === true,
    cpEndpoints: v['cp-endpoints'] === true,
    bare: v.bare === true,
    controlPlane,
    log: (l) => err(`lab: ${l}`),
  });
  out(formatStatus(await labStatus(lab)));
  out(lab.inventoryPath);
  return EXIT.ok;
}

async function status(rest: string[]): Promise<number> {
  const { values: v } = parse(
    'lab status',
    rest,
    { dir: { type: 'string' }, output: { type: 'string' } },
    false,
  );
  if (v.help) return help();
  const fmt = oneOf('lab status', 'output', v.output, ['table', 'json'] as const, 'table');
  const st = await labStatus(readLab(v.dir));
  out(fmt === 'json' ? JSON.stringify(st, null, 2) : formatStatus(st));
  return st.members.every((m) => m.healthy) ? EXIT.ok : EXIT.failed;
}

async function breakLab(rest: string[]): Promise<number> {
  const { values: v, positionals } = parse('lab break', rest, {
    dir: { type: 'string' },
    member: { type: 'string' },
  });
  if (v.help) return help();
  const scenario = positionals[0];
  if (!scenario || positionals.length > 1)
    throw usage('lab break: give one SCENARIO', `one of ${SCENARIOS.join(', ')}`);
  const r = await labBreak(readLab(v.dir), scenario, v.member);
  for (const a of r.actions) out(`${r.scenario}: ${a}`);
  return EXIT.ok;
}

async function reboot(rest: string[]): Promise<number> {
  const { values: v, positionals } = parse('lab reboot', rest, { dir: { type: 'string' } });
  if (v.help) return help();
  const name = positionals[0];
  if (!name || positionals.length > 1) throw usage('lab reboot: give one MEMBER', 'lifeboat lab reboot cp-2');
  const r = await labReboot(readLab(v.dir), name);
  out(`reboot: ${name}: ${r.killed} processes killed, booted again`);
  return EXIT.ok;
}

async function exec(rest: string[]): Promise<number> {
  const dd = rest.indexOf('--');
  if (dd < 0) throw usage('lab exec: put the command after --', 'lifeboat lab exec MEMBER -- COMMAND...');
  const { values: v, positionals } = parse('lab exec', rest.slice(0, dd), { dir: { type: 'string' } });
  if (v.help) return help();
  const name = positionals[0];
  if (!name || positionals.length > 1)
    throw usage('lab exec: give one MEMBER before --', 'lifeboat lab exec cp-1 -- hostname');
  const lab = readLab(v.dir);
  const args = rest.slice(dd + 1);
  if (!args.length) throw usage('lab exec: no command after --', 'lifeboat lab exec cp-1 -- hostname');
  if (!lab.members.some((m) => m.name === name))
    throw usage(`lab exec: no member '${name}'`, `members are ${lab.members.map((m) => m.name).join(', ')}`);
  // One argument is a shell command as typed; several are words, each quoted.
  const code = await execInHostAttached(lab, name, args.length === 1 ? args[0]! : sh`${args}`.text);
  if (code === 255) err(`lab exec: host ${name} is not running (or the command exited 255)`);
  return code;
}

async function readdress(rest: string[]): Promise<number> {
  const { values: v, positionals } = parse('lab readdress', rest, {
    dir: { type: 'string' },
    address: { type: 'string' },
  });
  if (v.help) return help();
  const name = positionals[0];
  if (!name || positionals.length > 1 || !v.address)
    throw usage(
      'lab readdress: give one MEMBER and --address',
      'lifeboat lab readdress cp-2 --address 127.0.N.21',
    );
  for (const a of await labReaddress(readLab(v.dir), name, v.address)) out(`readdress: ${a}`);
  return EXIT.ok;
}

async function down(rest: string[]): Promise<number> {
  const { values: v } = parse('lab down', rest, { dir: { type: 'string' } }, false);
  if (v.help) return help();
  const r = await labDown(v.dir);
  if (r.remaining.length) {
    err(`lab down: ${r.remaining.length} processes did not stop: ${r.remaining.join(' ')}`);
    return EXIT.failed;
  }
  out(`lab ${r.dir}: down (${r.stopped} processes stopped)`);
  return EXIT.ok;
}

const COMMANDS: Record<string, (rest: string[]) => Promise<number>> = {
  up,
  status,
  break: breakLab,
  reboot,
  exec,
  readdress,
  down,
};

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, sub) ? COMMANDS[sub] : undefined;
  if (!command) throw usage(`lab: unknown command '${sub}'`, "run 'lifeboat lab --help'");
  return command(rest);
}

function help(): number {
  process.stdout.write(HELP);
  return EXIT.ok;
}
