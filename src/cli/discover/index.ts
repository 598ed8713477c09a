// `lifeboat discover --ssh USER@HOST[,...]`: read how etcd runs on each host and write an inventory
// (read-only on hosts).
import { writePrivate } from '../../local/private.js';
import { parse } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { discover, parseTargets } from '../../discover/index.js';

const HELP =
  `Usage: lifeboat discover --ssh USER@HOST[:PORT][,USER@HOST...] [--jump USER@JUMP[:PORT]] ` +
  `[-o inventory.yaml]
                         [--known-hosts FILE] [--identity FILE] [--sudo] [--cluster NAME] [--accept-new-host-keys]

Reads (only reads) each host's etcd configuration: the static pod manifest (kubeadm), etcd.service with its drop-ins
and EnvironmentFile (etcd.conf), 'docker inspect etcd', the k3s unit's --datastore-endpoint; cross-checks the hosts
(initial cluster, token, CA) and, when the cluster answers, 'member list'. Writes an inventory whose comments say where
each value came from, findings at the end (also on stderr). Exit 0, or 2 on bad input or an unreachable host.`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parse(
    'discover',
    argv,
    {
      ssh: { type: 'string' },
      jump: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'known-hosts': { type: 'string' },
      identity: { type: 'string' },
      sudo: { type: 'boolean' },
      cluster: { type: 'string' },
      'accept-new-host-keys': { type: 'boolean' },
    },
    false,
  );
  if (v.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  if (!v.ssh)
    throw usage('discover: --ssh USER@HOST[,USER@HOST...] is required', "run 'lifeboat discover --help'");
  if (v.jump !== undefined && !/^([^@\s]+@)?[A-Za-z0-9._-]+(:\d{1,5})?$/.test(v.jump))
    throw usage(`discover: --jump '${v.jump}' is not USER@HOST[:PORT]`);
  if (v.cluster !== undefined && !v.cluster.trim()) throw usage('discover: --cluster is empty');
  const d = await discover({
    targets: parseTargets(v.ssh),
    ...(v.jump ? { jump: v.jump } : {}),
    sudo: v.sudo === true,
    ...(v.identity ? { identityFile: v.identity } : {}),
    ...(v['known-hosts'] ? { knownHosts: v['known-hosts'] } : {}),
    ...(v.cluster ? { cluster: v.cluster } : {}),
    ...(v.output ? { output: v.output } : {}),
    acceptNewHostKeys: v['accept-new-host-keys'] === true,
  });
  if (v.output) {
    writePrivate(v.output, d.text);
    process.stdout.write(`${v.output}: ${d.hosts.length} members, ${d.hosts[0]!.config.topology}\n`);
  } else process.stdout.write(d.text);
  for (const f of d.findings) process.stderr.write(`finding: ${f}\n`);
  return EXIT.ok;
}
