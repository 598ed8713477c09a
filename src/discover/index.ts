// lifeboat discover: connect to each host, read how etcd really runs there, cross-check the hosts with each other and
// with `member list`, and write an inventory whose comments say where each value came from. Read-only on every host.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { badInput, LifeboatError, usage } from '../errors/error.js';
import type { ListedMember } from '../etcd/facts.js';
import { gatherFacts } from '../etcd/probe.js';
import { sh } from '../shell/sh.js';
import type { Inventory, ResolvedMember } from '../inventory/resolve.js';
import { parseInventory } from '../inventory/load.js';
import type { Topology } from '../inventory/schema.js';
import { SshExecutor } from '../ssh/executor.js';
import { DISCOVERY_SCRIPT, readHost, type Found, type HostConfig } from './read.js';

export interface SshTarget {
  user: string;
  host: string;
  port: number;
  spec: string;
}

export interface DiscoverOptions {
  targets: SshTarget[];
  jump?: string;
  sudo?: boolean;
  identityFile?: string;
  knownHosts?: string;
  cluster?: string;
  /** Where the inventory will be written (relative paths in it are made relative to its folder). */
  output?: string;
  acceptNewHostKeys?: boolean;
  /** Executor options for tests. */
  sshConfigFile?: string | false;
  agentSocket?: string | false;
}

export interface Discovered {
  text: string;
  findings: string[];
  hosts: Array<{ target: SshTarget; config: HostConfig }>;
}

const TARGET = /^([^@\s,]+)@([A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

export function parseTargets(list: string): SshTarget[] {
  const out = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec): SshTarget => {
      const m = TARGET.exec(spec);
      if (!m)
        throw usage(
          `discover: --ssh '${spec}' is not USER@HOST[:PORT]`,
          'e.g. --ssh root@10.0.0.11,root@10.0.0.12',
        );
      const port = m[3] === undefined ? 22 : Number(m[3]);
      if (port < 1 || port > 65535) throw usage(`discover: --ssh '${spec}': port ${port} is out of range`);
      return { user: m[1]!, host: m[2]!, port, spec };
    });
  if (!out.length) throw usage('discover: --ssh needs at least one USER@HOST', 'e.g. --ssh root@10.0.0.11');
  const dup = out.find((t, i) => out.findIndex((x) => x.host === t.host && x.port === t.port) !== i);
  if (dup) throw usage(`discover: ${dup.host}:${dup.port} is given twice`);
  return out;
}

/** A path as it goes into the inventory: relative to the inventory's folder when written to a file. */
function invPath(p: string, output: string | undefined): string {
  const abs = isAbsolute(p) ? p : resolve(p);
  return output ? relative(dirname(resolve(output)), abs) || '.' : abs;
}

function connectInventory(o: DiscoverOptions): Inventory {
  const base = process.cwd();
  const members: ResolvedMember[] = o.targets.map((t, i) => ({
    name: `host-${i + 1}`,
    address: t.host,
    peerURL: `https://${t.host}:2380`,
    clientURL: `https://${t.host}:2379`,
    ssh: {
      user: t.user,
      port: t.port,
      sudo: o.sudo === true,
      ...(o.identityFile ? { identityFile: resolve(base, o.identityFile) } : {}),
      ...(o.knownHosts ? { knownHosts: resolve(base, o.knownHosts) } : {}),
      ...(o.jump ? { jump: o.jump } : {}),
    },
    dataDir: '/var/lib/etcd',
    manifest: '/etc/kubernetes/manifests/etcd.yaml',
    apiserverManifest: '/etc/kubernetes/manifests/kube-apiserver.yaml',
    config: '/etc/etcd/etcd.conf',
    backupDir: '/backup',
    tls: { ca: '', cert: '', key: '' },
    tools: {},
  }));
  return { cluster: 'discover', topology: 'static-pod', members, baseDir: base };
}

const y = (v: unknown) => stringify(v).trimEnd();
const first = (f: Found | undefined) =>
  f ? { value: f.value.split(',')[0]!.trim(), from: f.from } : undefined;
const setOf = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .sort()
    .join(',');

/** Hosts must agree on these; a difference is a finding (the source of split-brain and failed restores). */
function crossCheck(hosts: Array<{ target: SshTarget; config: HostConfig }>, findings: string[]): void {
  const by = (flag: string) => {
    const m = new Map<string, string[]>();
    for (const h of hosts) {
      const v = h.config.flags.get(flag)?.value;
      const k = v === undefined ? '(not set)' : flag === 'initial-cluster' ? setOf(v) : v;
      m.set(k, [...(m.get(k) ?? []), h.config.flags.get('name')?.value ?? h.target.host]);
    }
    return m;
  };
  for (const flag of ['initial-cluster', 'initial-cluster-token']) {
    const m = by(flag);
    if (m.size > 1)
      findings.push(
        `hosts disagree on --${flag}: ${[...m].map(([v, names]) => `${names.join(', ')}: ${v}`).join(' | ')}`,
      );
  }
  const topo = new Map<Topology, string[]>();
  for (const h of hosts) topo.set(h.config.topology, [...(topo.get(h.config.topology) ?? []), h.target.host]);
  if (topo.size > 1)
    findings.push(
      `hosts run etcd differently: ${[...topo].map(([t, names]) => `${t} on ${names.join(', ')}`).join('; ')}`,
    );
  for (const h of hosts) {
    const name = h.config.flags.get('name')?.value;
    const peer = first(h.config.flags.get('initial-advertise-peer-urls'))?.value;
    const ic = h.config.flags.get('initial-cluster')?.value;
    if (
      name &&
      peer &&
      ic &&
      !ic
        .split(',')
        .map((x) => x.trim())
        .includes(`${name}=${peer}`)
    )
      findings.push(`${name}: --initial-cluster (${ic}) does not name ${name}=${peer}`);
    if (!h.config.dataDir)
      findings.push(`${h.target.host}: no --data-dir set (etcd would use ./${name ?? 'default'}.etcd)`);
    if (!h.config.tls) findings.push(`${h.target.host}: client TLS files not found in the configuration`);
    for (const n of h.config.notes) findings.push(`${name ?? h.target.host}: ${n}`);
  }
}

type Host = { target: SshTarget; config: HostConfig; caHash?: string };

/** Runs the read-only discovery script on every host; each must run etcd with a --name, no name twice. */
async function readHosts(ex: SshExecutor, inv: Inventory, o: DiscoverOptions): Promise<Host[]> {
  const hosts = await Promise.all(
    inv.members.map(async (m, i): Promise<Host> => {
      const target = o.targets[i]!;
      const r = await ex.exec(m.name, DISCOVERY_SCRIPT.text, { timeoutMs: 60_000 });
      const config = readHost(r.stdout);
      if (!config)
        throw badInput(
          `discover: no etcd found on ${target.spec}: ` +
            'no /etc/kubernetes/manifests/etcd.yaml, no etcd.service, no docker container named etcd',
          'check the host list; lifeboat reads only these places',
        );
      if (!config.flags.get('name'))
        throw badInput(
          `discover: ${target.spec}: etcd's --name is not set in ${config.source}`,
          'set it (ETCD_NAME or --name): the inventory needs member names',
        );
      return { target, config };
    }),
  );
  const names = hosts.map((h) => h.config.flags.get('name')!.value);
  const dupName = names.find((n, i) => names.indexOf(n) !== i);
  if (dupName)
    throw badInput(`discover: two hosts run a member named ${dupName}`, 'give each etcd member once');
  return hosts;
}

/** Certificates: the same CA everywhere, client certificates not expired. */
async function checkCertificates(
  ex: SshExecutor,
  inv: Inventory,
  hosts: Host[],
  names: string[],
  findings: string[],
): Promise<void> {
  await Promise.all(
    hosts.map(async (h, i) => {
      const t = h.config.tls;
      if (!t) return;
      const hashAndExpiry = sh.lines(
        sh`sha256sum ${t.ca.value} | cut -c1-64`,
        sh`openssl x509 -noout -checkend 0 -in ${t.cert.value} >/dev/null 2>&1 && echo valid || echo expired`,
      );
      const r = await ex.exec(inv.members[i]!.name, hashAndExpiry.text, { timeoutMs: 30_000 });
      const [hash, valid] = r.stdout.trim().split('\n');
      h.caHash = hash;
      if (valid === 'expired')
        findings.push(`${names[i]}: the client certificate ${t.cert.value} has expired (or cannot be read)`);
    }),
  );
  const cas = new Map<string, string[]>();
  hosts.forEach((h, i) => {
    if (h.caHash) cas.set(h.caHash, [...(cas.get(h.caHash) ?? []), names[i]!]);
  });
  if (cas.size > 1) {
    const each = [...cas].map(([hash, n]) => `${n.join(', ')}: sha256 ${hash.slice(0, 12)}…`);
    findings.push(`hosts trust different etcd CAs: ${each.join(' | ')}`);
  }
}

/** The discovered members against `member list` as the running cluster answers it. */
function crossCheckMemberList(found: Inventory, list: ListedMember[] | undefined): string[] {
  if (!list) return ['member list: no member answered; the inventory is from the configuration only'];
  const cross: string[] = [];
  for (const lm of list) {
    const d = found.members.find((m) => m.name === lm.name || m.peerURL === lm.peerURLs[0]);
    if (!d)
      cross.push(
        `member list has ${lm.name || '(unstarted)'} ${lm.peerURLs.join(',')} which is not among the hosts given`,
      );
    else if (!lm.peerURLs.includes(d.peerURL))
      cross.push(
        `${d.name}: member list says peer URL ${lm.peerURLs.join(',')}, the configuration says ${d.peerURL}`,
      );
    else if (lm.clientURLs.length && !lm.clientURLs.includes(d.clientURL))
      cross.push(
        `${d.name}: member list says client URL ${lm.clientURLs.join(',')}, the configuration says ${d.clientURL}`,
      );
  }
  for (const m of found.members)
    if (!list.some((lm) => lm.name === m.name || lm.peerURLs.includes(m.peerURL)))
      cross.push(`${m.name} is configured on its host but is not in the member list`);
  if (!cross.length) cross.unshift(`member list (${list.length} members) agrees with the configuration`);
  return cross;
}

/** k3s-external: every URL of a k3s unit's --datastore-endpoint is a member's client URL. */
function checkDatastores(hosts: Host[], found: Inventory, findings: string[]): void {
  const urls = found.members.map((m) => m.clientURL);
  for (const h of hosts) {
    const ds = h.config.datastore;
    if (!ds) continue;
    const unknown = ds.value
      .split(',')
      .map((x) => x.trim())
      .filter((u) => u && !urls.includes(u));
    if (unknown.length)
      findings.push(
        `${h.config.flags.get('name')?.value}: k3s --datastore-endpoint names ${unknown.join(', ')}, ` +
          "which is no member's client URL",
      );
  }
}

export async function discover(o: DiscoverOptions): Promise<Discovered> {
  const inv = connectInventory(o);
  const exOpts = {
    acceptNewHostKeys: o.acceptNewHostKeys === true,
    ...(o.sshConfigFile === undefined ? {} : { sshConfigFile: o.sshConfigFile }),
    ...(o.agentSocket === undefined ? {} : { agentSocket: o.agentSocket }),
  };
  const ex = new SshExecutor(inv, exOpts);
  let ex2: SshExecutor | undefined;
  const findings: string[] = [];
  try {
    const hosts = await readHosts(ex, inv, o);
    const names = hosts.map((h) => h.config.flags.get('name')!.value);
    crossCheck(hosts, findings);
    await checkCertificates(ex, inv, hosts, names, findings);

    const text = render(o, hosts, findings, []);
    // Cross-check with the running cluster: the discovered inventory, probed as a runbook would.
    const parsed = parseInventory(text, o.output ?? resolve('discovered.yaml'));
    // Values read from the hosts are hostile until they pass the inventory schema: refuse, write nothing.
    if (!parsed.ok)
      throw new LifeboatError(
        'refused',
        `discover: what the hosts report does not make a valid inventory (nothing written): ` +
          `${parsed.problems.join('; ')}`,
        { hint: 'fix the etcd configuration on the host named above, or write the inventory by hand' },
      );
    const found: Inventory = {
      ...parsed.inventory,
      members: parsed.inventory.members.map((m, i) => ({ ...m, ssh: inv.members[i]!.ssh })),
      baseDir: inv.baseDir,
    };
    ex2 = new SshExecutor(found, exOpts);
    const facts = await gatherFacts(found, ex2, new Date());
    const cross = crossCheckMemberList(found, facts.memberList);
    checkDatastores(hosts, found, findings);
    return {
      text: render(o, hosts, findings, cross),
      findings: [...findings, ...cross.filter((c) => !/agrees with/.test(c))],
      hosts,
    };
  } finally {
    await ex.close();
    await ex2?.close();
  }
}

function render(
  o: DiscoverOptions,
  hosts: Array<{ target: SshTarget; config: HostConfig }>,
  findings: string[],
  cross: string[],
): string {
  const L: string[] = [];
  const c = (line: string, from: string) => L.push(`${line}  # ${from.replace(/\n/g, ' ')}`);
  const topo = hosts[0]!.config.topology;
  const token = hosts[0]!.config.flags.get('initial-cluster-token');
  L.push(
    `# Written by 'lifeboat discover' at ${new Date().toISOString()} from ` +
      `${o.targets.map((t) => t.spec).join(', ')}${o.jump ? ` via ${o.jump}` : ''}.`,
  );
  L.push('# Each value says where it was read. Review the findings at the end before using this inventory.');
  L.push('apiVersion: lifeboat/v1');
  c(
    `cluster: ${y(o.cluster ?? token?.value ?? 'etcd')}`,
    o.cluster
      ? '--cluster'
      : token
        ? `initial cluster token (${token.from})`
        : 'no --cluster and no initial cluster token',
  );
  c(`topology: ${topo}`, `${hosts.map((h) => `${h.target.host}: ${h.config.source}`).join('; ')}`);
  L.push('ssh:');
  const users = new Set(o.targets.map((t) => t.user));
  const user = o.targets[0]!.user;
  c(`  user: ${y(user)}`, '--ssh');
  if (o.sudo) c('  sudo: true', '--sudo');
  if (o.jump) c(`  jump: ${y(o.jump)}`, '--jump');
  if (o.identityFile) c(`  identityFile: ${y(invPath(o.identityFile, o.output))}`, '--identity');
  if (o.knownHosts) c(`  knownHosts: ${y(invPath(o.knownHosts, o.output))}`, '--known-hosts');
  L.push('members:');
  for (const { target, config: h } of hosts) {
    const f = h.flags;
    const name = f.get('name')!;
    c(`  - name: ${y(name.value)}`, `--name from ${name.from} (host ${h.hostname || target.host})`);
    c(`    address: ${y(target.host)}`, '--ssh');
    const peer = first(f.get('initial-advertise-peer-urls'));
    const client = first(f.get('advertise-client-urls'));
    if (peer) c(`    peerURL: ${y(peer.value)}`, `--initial-advertise-peer-urls from ${peer.from}`);
    if (client) c(`    clientURL: ${y(client.value)}`, `--advertise-client-urls from ${client.from}`);
    if ((users.size > 1 && target.user !== user) || target.port !== 22) {
      L.push('    ssh:');
      if (target.user !== user) c(`      user: ${y(target.user)}`, '--ssh');
      if (target.port !== 22) c(`      port: ${target.port}`, '--ssh');
    }
    L.push('    etcd:');
    if (h.dataDir) c(`      dataDir: ${y(h.dataDir.value)}`, `--data-dir from ${h.dataDir.from}`);
    if (h.configPath && h.topology === 'static-pod')
      c(`      manifest: ${y(h.configPath.value)}`, h.configPath.from);
    if (h.configPath && h.topology !== 'static-pod' && h.topology !== 'docker')
      c(`      config: ${y(h.configPath.value)}`, h.configPath.from);
    if (h.tls) {
      L.push('      tls:');
      c(`        ca: ${y(h.tls.ca.value)}`, `--trusted-ca-file from ${h.tls.ca.from}`);
      c(`        cert: ${y(h.tls.cert.value)}`, h.tls.cert.from);
      c(`        key: ${y(h.tls.key.value)}`, h.tls.key.from);
    }
    if (h.datastore) L.push(`    # k3s --datastore-endpoint=${h.datastore.value} (${h.datastore.from})`);
  }
  const all = [...findings, ...cross];
  L.push('', `# Findings (${findings.length + cross.filter((x) => !/agrees with/.test(x)).length}):`);
  for (const x of all) L.push(`#   - ${x}`);
  if (!all.length) L.push('#   none');
  return L.join('\n') + '\n';
}
