// kube-apiserver stand-in: reads /registry through its --etcd-servers with its etcd client cert and
// says on /healthz whether it can.
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { EtcdClient, prefixEnd } from '../grpc.js';
import { reconcileLeases } from './leases.js';

const flags = new Map<string, string>();
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)=(.*)$/.exec(a);
  if (m) flags.set(m[1]!, m[2]!);
}
const need = (k: string) => {
  const v = flags.get(k);
  if (v === undefined) {
    process.stderr.write(`kube-apiserver (lab stand-in): missing --${k}\n`);
    process.exit(1);
  }
  return v;
};
const servers = need('etcd-servers').split(',').filter(Boolean);
const tls = { ca: need('etcd-cafile'), cert: need('etcd-certfile'), key: need('etcd-keyfile') };
const address = need('advertise-address');
const port = Number(flags.get('secure-port') ?? '6443');
// The lab sets it only when asked (lab up --leases): otherwise the stand-in writes nothing to etcd.
const leases = flags.get('endpoint-reconciler-type') === 'lease';
let reconciled = 0;

interface Report {
  ok: boolean;
  server: string | null;
  keys: number | null;
  revision: number | null;
  error: string | null;
  checkedAt: string;
  etcdServers: string[];
}
let report: Report = {
  ok: false,
  server: null,
  keys: null,
  revision: null,
  error: 'not checked yet',
  checkedAt: new Date().toISOString(),
  etcdServers: servers,
};
const log = (m: string) => process.stdout.write(`${new Date().toISOString()} kube-apiserver ${m}\n`);

// One HTTP/2 session per etcd server, kept while it answers (kube-apiserver keeps its connections too); a failed call
// or changed TLS files open a new one, so expired or renewed certs count from the next check as before.
const sessions = new Map<string, { c: EtcdClient; files: string }>();
function clientFor(server: string): EtcdClient {
  const files = [tls.ca, tls.cert, tls.key].map((f) => readFileSync(f, 'utf8')).join('\n');
  const have = sessions.get(server);
  if (have?.files === files) return have.c;
  have?.c.close();
  const c = new EtcdClient(server, tls);
  sessions.set(server, { c, files });
  return c;
}
function drop(server: string): void {
  sessions.get(server)?.c.close();
  sessions.delete(server);
}

async function check(): Promise<void> {
  const errors: string[] = [];
  for (const s of servers) {
    const c = clientFor(s);
    try {
      const r = await c.range('/registry/', prefixEnd('/registry/'), { countOnly: true, timeoutMs: 2000 });
      const was = report.ok;
      report = {
        ok: true,
        server: s,
        keys: r.count,
        revision: r.revision,
        error: null,
        checkedAt: new Date().toISOString(),
        etcdServers: servers,
      };
      if (!was) log(`etcd ${s} reachable: ${r.count} keys under /registry at revision ${r.revision}`);
      // kube-apiserver reconciles every 10 s with a 15 s TTL; the first one right after etcd answers.
      if (leases && Date.now() - reconciled >= 10_000) {
        const ips = await reconcileLeases(c, address);
        reconciled = Date.now();
        log(`lease ${address} renewed; kubernetes endpoints: ${ips.join(',')}`);
      }
      return;
    } catch (err) {
      errors.push(`${s}: ${(err as Error).message}`);
      drop(s);
    }
  }
  if (report.ok) log(`etcd unreachable: ${errors.join('; ')}`);
  report = {
    ok: false,
    server: null,
    keys: null,
    revision: null,
    error: errors.join('; '),
    checkedAt: new Date().toISOString(),
    etcdServers: servers,
  };
}

const server = createServer(
  { cert: readFileSync(need('tls-cert-file')), key: readFileSync(need('tls-private-key-file')) },
  (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(report.ok ? 200 : 500, { 'content-type': 'text/plain' });
      res.end(report.ok ? 'ok' : `[-]etcd failed: ${report.error}\nhealthz check failed\n`);
    } else if (path === '/lab/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report));
    } else {
      res.writeHead(404);
      res.end();
    }
  },
);
server.listen(port, address, () =>
  log(`serving https://${address}:${port} (stand-in), etcd servers ${servers.join(',')}`),
);
server.on('error', (err) => {
  log(`cannot serve: ${err.message}`);
  process.exit(1);
});

let running = false;
setInterval(() => {
  if (running) return;
  running = true;
  void check().finally(() => (running = false));
}, 1000);
void check();
process.on('SIGTERM', () => process.exit(0));
