// kube-controller-manager / kube-scheduler stand-in: watches the API server named in its --kubeconfig (its /healthz)
// and records when it started, so a lab test can tell a restore restarted it (their caches hold revisions).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';

/** Where every component records its starts and its last view of the API server, inside the host. */
export const COMPONENT_STATE = '/var/lib/lifeboat-lab';

const flags = new Map<string, string>();
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)=(.*)$/.exec(a);
  if (m) flags.set(m[1]!, m[2]!);
}
// The wrapper on the host names the component (kube-controller-manager or kube-scheduler).
const component = flags.get('lab-component') ?? 'kube-component';
const kubeconfig = flags.get('kubeconfig');
if (!kubeconfig) {
  process.stderr.write(`${component} (lab stand-in): missing --kubeconfig\n`);
  process.exit(1);
}
const conf = readFileSync(kubeconfig, 'utf8');
const server = /server:\s*(\S+)/.exec(conf)?.[1];
const caFile = /certificate-authority:\s*(\S+)/.exec(conf)?.[1];
if (!server || !caFile) {
  process.stderr.write(
    `${component} (lab stand-in): ${kubeconfig} names no server or certificate-authority\n`,
  );
  process.exit(1);
}
// A host without the Kubernetes CA still runs the component; it just never reaches an API server.
const ca = existsSync(caFile) ? readFileSync(caFile) : undefined;
const startedAt = new Date().toISOString();
const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${component} ${m}\n`);

mkdirSync(COMPONENT_STATE, { recursive: true, mode: 0o700 });
appendFileSync(`${COMPONENT_STATE}/${component}.starts`, `${startedAt} ${process.pid}\n`);
let ok: boolean | null = null;
const record = () =>
  writeFileSync(
    `${COMPONENT_STATE}/${component}.json`,
    JSON.stringify({
      component,
      pid: process.pid,
      startedAt,
      server,
      apiserverOk: ok,
      checkedAt: new Date().toISOString(),
    }),
  );
record();
log(`started (stand-in), API server ${server}`);

function check(): Promise<void> {
  return new Promise<void>((res) => {
    const req = get(`${server}/healthz`, { ca, timeout: 2000 }, (r) => {
      r.resume();
      const now = r.statusCode === 200;
      if (now !== ok) log(now ? 'API server healthy' : `API server answers ${r.statusCode}`);
      ok = now;
      res();
    });
    req.on('error', (err) => {
      if (ok !== false) log(`API server unreachable: ${err.message}`);
      ok = false;
      res();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
  }).then(record);
}

let running = false;
// Every 5 s: nothing waits on this health, and six of these per lab each pay a TLS handshake per check.
setInterval(() => {
  if (running) return;
  running = true;
  void check().finally(() => (running = false));
}, 5000);
void check();
process.on('SIGTERM', () => process.exit(0));
