// k3s stand-in: `k3s server --datastore-endpoint URLS --datastore-cafile/certfile/keyfile ... --advertise-address A`
// (flags as `--f=v` or `--f v`). It serves what the API server stand-in serves (health over its datastore on :6443),
// reading /registry through the external etcd named by --datastore-endpoint, as k3s with an external datastore does.
const argv = process.argv.slice(2);
if (argv[0] !== 'server') {
  process.stderr.write('k3s (lab stand-in): only `k3s server` is supported\n');
  process.exit(1);
}
const flags = new Map<string, string>();
for (let i = 1; i < argv.length; i++) {
  const a = argv[i]!;
  const m = /^--([^=]+)=(.*)$/.exec(a);
  if (m) flags.set(m[1]!, m[2]!);
  else if (a.startsWith('--') && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--'))
    flags.set(a.slice(2), argv[++i]!);
  else if (a.startsWith('--')) flags.set(a.slice(2), 'true');
}
const ds = flags.get('datastore-endpoint');
if (!ds) {
  process.stderr.write(
    'k3s (lab stand-in): no --datastore-endpoint: the lab runs k3s with an external etcd only\n',
  );
  process.exit(1);
}
const tlsDir = '/var/lib/rancher/k3s/server/tls';
process.argv = [
  process.argv[0]!,
  process.argv[1]!,
  `--etcd-servers=${ds}`,
  `--etcd-cafile=${flags.get('datastore-cafile') ?? ''}`,
  `--etcd-certfile=${flags.get('datastore-certfile') ?? ''}`,
  `--etcd-keyfile=${flags.get('datastore-keyfile') ?? ''}`,
  `--advertise-address=${flags.get('advertise-address') ?? flags.get('bind-address') ?? '127.0.0.1'}`,
  `--secure-port=${flags.get('https-listen-port') ?? '6443'}`,
  `--tls-cert-file=${tlsDir}/serving-kube-apiserver.crt`,
  `--tls-private-key-file=${tlsDir}/serving-kube-apiserver.key`,
];
await import('./apiserver.js');
