// lab readdress: a host's address changes as a VM re-IP would: its sshd moves, the old address vanishes
// from the machine
// (an unreachable /32 in the local routing table, so nothing can bind or reach it), etcd and the API
// server die with it.
// etcd's configuration is left as it was (it still names the old address), exactly what an operator
// finds after a re-IP.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { refused, usage } from '../errors/error.js';
import { etcdPid } from './break.js';
import { execInHost } from './hosts.js';
import { writeInventory } from './inventory.js';
import { run } from './proc.js';
import { sshdConfig } from './render.js';
import { sh, type Script } from '../shell/sh.js';
import { readPods } from './standins/podstate.js';
import { stateDir } from './paths.js';
import { member, writeLab } from './state.js';
import { waitFor } from './wait.js';
import type { Lab } from './types.js';

const LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A 127.0.0.0/8 host address not used by this lab (never 127.0.0.1, never a network or broadcast address). */
export function checkNewAddress(lab: Lab, address: string): void {
  const m = LOOPBACK.exec(address);
  const octets = m ? m.slice(1).map(Number) : [];
  if (!m || octets.some((o) => o > 255) || octets[2] === 0 || octets[2] === 255 || address === '127.0.0.1')
    throw usage(
      `lab readdress: --address '${address}' is not a 127.0.0.0/8 host address`,
      'give one such as 127.0.N.21 (only loopback addresses are used by the lab)',
    );
  const taken = [...lab.members.map((x) => x.address), ...(lab.bastion ? [lab.bastion.address] : [])];
  if (taken.includes(address))
    throw usage(`lab readdress: ${address} is already a host of this lab`, 'pick an unused address');
}

/** `ip route` on the machine's network: the lab shares it, and only ever touches 127.0.0.0/8 /32 routes. */
async function route(op: 'replace' | 'del', address: string): Promise<void> {
  if (!LOOPBACK.test(address)) throw new Error(`lab: refusing a route for ${address} (not 127.0.0.0/8)`);
  const r = await run('ip', ['route', op, 'unreachable', `${address}/32`, 'table', 'local'], {
    timeoutMs: 10_000,
  });
  if (r.code !== 0 && op === 'replace') throw new Error(`lab: ip route ${op} ${address}: ${r.stderr.trim()}`);
}

/** lab down: the addresses this lab made vanish come back. */
export async function restoreAddresses(lab: Lab): Promise<void> {
  for (const a of lab.goneAddresses ?? []) await route('del', a).catch(() => undefined);
}

/** Pids (inside the host) of running etcd and kube-apiserver. */
function podPids(lab: Lab, name: string): number[] {
  if (lab.mode !== 'static-pod') return [etcdPid(lab, name)].filter((p): p is number => p !== null);
  return readPods(stateDir(lab.dir, name)).flatMap((p) =>
    p.containers.filter((c) => c.state === 'running' && c.pid).map((c) => c.pid!),
  );
}

/** Inside the host: sshd stopped by its pid file, then started again from its (rewritten) config; waits for both. */
function restartSshd(H: string): Script {
  const upTo = (n: number) => sh`i=$((i+1)); [ $i -ge ${n} ] && exit 1`;
  return sh.lines(
    sh`p=$(cat /run/sshd.pid 2>/dev/null); [ -n "$p" ] && kill "$p"`,
    sh`i=0; while [ -n "$p" ] && kill -0 "$p" 2>/dev/null; do ${upTo(100)}; sleep 0.1; done`,
    sh`rm -f /run/sshd.pid; /usr/sbin/sshd -f ${H}/sshd_config -E ${H}/log/sshd.log || exit 1`,
    sh`i=0; until [ -s /run/sshd.pid ]; do ${upTo(100)}; sleep 0.05; done`,
    sh`cat /run/sshd.pid >${H}/state/sshd.pid`,
  );
}

export async function labReaddress(lab: Lab, name: string, address: string): Promise<string[]> {
  const m = member(lab, name);
  checkNewAddress(lab, address);
  if (lab.access?.jump)
    throw refused('lab readdress: not for jump-access labs', 'bring a lab up without --access jump');
  const old = m.address;
  const actions: string[] = [];
  const H = m.hostDir;
  // sshd first: stopped by its pid file, restarted on the new address (it daemonises inside the host).
  const moved = { ...m, address };
  writeFileSync(
    join(H, 'sshd_config'),
    sshdConfig(moved, H, join(lab.dir, 'ssh', 'authorized_keys'), lab.access),
  );
  const r = await execInHost(lab, name, restartSshd(H).text, { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`lab readdress: sshd on ${name} did not restart: ${r.stderr.trim()}`);
  actions.push(`${name}: sshd moved from ${old}:22 to ${address}:22`);
  await route('del', address).catch(() => undefined);
  await route('replace', old);
  lab.goneAddresses = [...new Set([...(lab.goneAddresses ?? []).filter((a) => a !== address), old])];
  actions.push(`${old} is gone from the machine (unreachable route)`);
  // What was listening on the old address dies with it (a reboot onto the new address: etcd fails to bind).
  for (const pid of podPids(lab, name))
    await execInHost(lab, name, sh`kill -s KILL ${pid} 2>/dev/null || true`.text);
  await waitFor(() => podPids(lab, name).length === 0, {
    timeoutMs: 15_000,
    intervalMs: 50,
    what: `etcd and the API server on ${name} to stop`,
  });
  actions.push(`${name}: etcd and kube-apiserver stopped; their configuration still names ${old}`);
  // The operator's side: known_hosts and the inventory name the new address; previousAddress says where it was.
  const kh = readFileSync(lab.ssh.knownHosts, 'utf8')
    .split('\n')
    .map((l) => (l.startsWith(`${old} `) ? `${address}${l.slice(old.length)}` : l));
  writeFileSync(lab.ssh.knownHosts, kh.join('\n'));
  Object.assign(m, {
    builtAt: m.builtAt ?? old,
    address,
    clientURL: `https://${address}:2379`,
    peerURL: `https://${address}:2380`,
    previousAddress: old,
  });
  writeInventory(lab);
  writeLab(lab);
  actions.push(
    `inventory ${lab.inventoryPath}: ${name} address ${address}, previousAddress ${m.previousAddress}`,
  );
  return actions;
}
