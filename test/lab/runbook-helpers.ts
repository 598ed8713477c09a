// Shared by the runbook lab tests: run the built CLI, kill it mid-run, read snapshots, and check a cluster after a runbook.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  DEFAULT_ETCD_VERSION,
  ETCD_VERSIONS,
  type EtcdVersion,
  labBreak,
  labDown,
  labExec,
  labStatus,
  labUp,
  readAllValues,
  waitFor,
  type Lab,
} from '../../src/lab/index.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { etcdSources } from '../../src/lab/etcdbin.js';
import type { EtcdTool } from '../../src/local/etcd-builds.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/lifeboat');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `lifeboat ARGS` (the built dist/) to its end, in `cwd` (default: the repository); never throws. */
export function cli(
  args: string[],
  timeoutMs = 170_000,
  env: Record<string, string> = {},
  cwd = ROOT,
): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((res) => {
    execFile(
      'node',
      [BIN, ...args],
      { cwd, timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        res({ code, stdout, stderr, ms: Date.now() - t0 });
      },
    );
  });
}

/** Asserts a CLI run ended with the given code, showing the tail of its output when not. */
export function expectCode(r: CliResult, code: number): void {
  expect(r.code, `exit ${r.code}\n${(r.stdout + r.stderr).split('\n').slice(-40).join('\n')}`).toBe(code);
}

export interface AuditEvent {
  seq: number;
  type: string;
  stateId?: string;
  member?: string;
  status?: string;
  [k: string]: unknown;
}

export function readAuditEvents(runDir: string): AuditEvent[] {
  const f = join(runDir, 'audit.jsonl');
  if (!existsSync(f)) return [];
  const out: AuditEvent[] = [];
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as AuditEvent);
    } catch {
      // A line being written right now: not an event yet.
    }
  }
  return out;
}

/**
 * Starts `lifeboat run ... --run-dir DIR`, waits (condition with a deadline) until the audit log shows the given
 * event, then kills the CLI with SIGKILL and waits for it to be gone. Returns the events seen at the kill.
 */
export async function runAndKill(
  args: string[],
  runDir: string,
  at: (e: AuditEvent) => boolean,
  timeoutMs = 120_000,
): Promise<AuditEvent[]> {
  const child: ChildProcess = spawn('node', [BIN, ...args, '--run-dir', runDir], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let endedEarly: number | null | undefined;
  void exited.then((c) => (endedEarly = c));
  try {
    await waitFor(
      () => {
        if (endedEarly !== undefined)
          throw new Error(`the run ended (exit ${endedEarly}) before the kill point`);
        return readAuditEvents(runDir).some(at);
      },
      { timeoutMs, intervalMs: 20, what: 'the kill point in the audit log' },
    );
  } finally {
    if (child.pid !== undefined && endedEarly === undefined) process.kill(child.pid, 'SIGKILL');
  }
  await exited;
  return readAuditEvents(runDir);
}

export const stepStarted = (stateId: string) => (e: AuditEvent) =>
  (e.type === 'cmd.start' || e.type === 'step.start') && e.stateId === stateId;

/** Every live key and value in a snapshot file (what a full restore must serve afterwards). */
export function snapshotValues(file: string): Map<string, Buffer> {
  const s = Snapshot.open(file);
  try {
    return new Map([...s.state({ values: true })].map(([k, v]) => [k, v.value ?? Buffer.alloc(0)]));
  } finally {
    s.close();
  }
}

/** Every key and value the cluster serves now (linearizable read through the given member, else any). */
export async function clusterValues(lab: Lab, member?: string): Promise<Map<string, Buffer>> {
  return (await readAllValues(lab, member ? { member } : {})).values;
}

/** Keys and values equal; on a difference, names the first few keys that differ. */
export function expectSameData(got: Map<string, Buffer>, want: Map<string, Buffer>): void {
  const missing = [...want.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !want.has(k));
  const changed = [...want.keys()].filter((k) => got.has(k) && !got.get(k)!.equals(want.get(k)!));
  expect({
    missing: missing.slice(0, 5),
    extra: extra.slice(0, 5),
    changed: changed.slice(0, 5),
    sizes: [got.size, want.size],
  }).toEqual({ missing: [], extra: [], changed: [], sizes: [want.size, want.size] });
}

const etcdctlIn = (lab: Lab, eps: string) =>
  lab.mode === 'systemd'
    ? `ETCDCTL_API=3 etcdctl --endpoints=${eps} --cacert=/etc/etcd/ca.crt --cert=/etc/etcd/peer.crt --key=/etc/etcd/peer.key`
    : `ETCDCTL_API=3 etcdctl --endpoints=${eps} --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key`;

/** Runs etcdctl inside the first host against the given endpoints (default all). */
export async function etcdctl(
  lab: Lab,
  args: string,
  eps = lab.members.map((m) => m.clientURL).join(','),
): Promise<string> {
  const r = await labExec(lab, lab.members[0]!.name, `${etcdctlIn(lab, eps)} ${args}`);
  if (r.code !== 0) throw new Error(`etcdctl ${args}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** A file inside a host, read through the host itself (the lab may layer host folders; never read them from outside). */
export async function hostRead(lab: Lab, member: string, path: string): Promise<string> {
  const r = await labExec(lab, member, `cat '${path}'`);
  if (r.code !== 0) throw new Error(`${member}: cat ${path}: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function hostExists(lab: Lab, member: string, path: string): Promise<boolean> {
  return (await labExec(lab, member, `test -e '${path}'`)).code === 0;
}

/** Copies a (binary) file out of a host. */
export async function hostCopyOut(lab: Lab, member: string, path: string, to: string): Promise<string> {
  const r = await labExec(lab, member, `base64 -w0 '${path}'`);
  if (r.code !== 0) throw new Error(`${member}: base64 ${path}: ${r.stderr.trim()}`);
  writeFileSync(to, Buffer.from(r.stdout.trim(), 'base64'));
  return to;
}

export interface ClusterCheck {
  /** Members whose data dir must hold an aside copy (DATA.before-* or DATA/member.before-*). */
  asideOn?: string[];
  /** static-pod: 'all' = every apiserver's --etcd-servers names every member (after recover-quorum repointed them);
   *  'members' (default) = each names only current members (kubeadm points each apiserver at its local member). */
  etcdServers?: 'all' | 'members';
}

/**
 * After a runbook: every member healthy and voting, member list equal to the inventory, hashkv equal at one revision,
 * no --force-new-cluster flag or drop-in anywhere, each apiserver pointing at all members (static-pod), the API servers
 * up again, old data moved aside (never deleted).
 */
export async function expectHealthyCluster(lab: Lab, check: ClusterCheck = {}): Promise<void> {
  const names = lab.members.map((m) => m.name).sort();
  // Health of every endpoint, through etcdctl as an operator would run it.
  const health = await labExec(
    lab,
    lab.members[0]!.name,
    `${etcdctlIn(lab, lab.members.map((m) => m.clientURL).join(','))} --command-timeout=5s endpoint health`,
  );
  expect(health.code, health.stdout + health.stderr).toBe(0);
  const list = JSON.parse(
    (await etcdctl(lab, 'member list -w json')).replace(/"ID":(\d+)/g, '"ID":"$1"'),
  ) as { members: Array<{ name: string; isLearner?: boolean; peerURLs: string[]; clientURLs: string[] }> };
  expect(list.members.map((m) => m.name).sort()).toEqual(names);
  expect(list.members.filter((m) => m.isLearner).map((m) => m.name)).toEqual([]);
  expect(list.members.map((m) => [m.name, m.peerURLs.join(','), m.clientURLs.join(',')]).sort()).toEqual(
    lab.members.map((m) => [m.name, m.peerURL, m.clientURL]).sort(),
  );
  const rev = Number(
    /"revision":(\d+)/.exec(await etcdctl(lab, 'endpoint status -w json', lab.members[0]!.clientURL))?.[1],
  );
  const hashes = [
    ...(await etcdctl(lab, `endpoint hashkv --rev=${rev} -w json`)).matchAll(/"hash":(\d+)/g),
  ].map((m) => m[1]);
  expect(hashes).toHaveLength(lab.members.length);
  expect(new Set(hashes).size, `hashkv at revision ${rev}: ${hashes.join(', ')}`).toBe(1);
  const st = await labStatus(lab);
  expect(st.members.map((m) => [m.name, m.etcdUp, m.healthy])).toEqual(
    lab.members.map((m) => [m.name, true, true]),
  );

  for (const m of lab.members) {
    if (lab.mode === 'static-pod') {
      const etcdYaml = await hostRead(lab, m.name, '/etc/kubernetes/manifests/etcd.yaml');
      expect(etcdYaml, `${m.name} etcd.yaml`).not.toMatch(/force-new-cluster/);
      const api = await hostRead(lab, m.name, '/etc/kubernetes/manifests/kube-apiserver.yaml');
      const servers = /--etcd-servers=(\S+)/.exec(api)?.[1]?.split(',').sort() ?? [];
      const urls = lab.members.map((x) => x.clientURL).sort();
      if (check.etcdServers === 'all') expect(servers, `${m.name} --etcd-servers`).toEqual(urls);
      else
        expect(
          servers.length > 0 && servers.every((u) => urls.includes(u) || /127\.0\.0\.1|localhost/.test(u)),
          `${m.name} --etcd-servers=${servers.join(',')}`,
        ).toBe(true);
      expect(
        await hostExists(lab, m.name, '/etc/kubernetes/manifests-stopped-by-lifeboat/etcd.yaml'),
        `${m.name}: etcd manifest still parked`,
      ).toBe(false);
      expect(
        await hostExists(lab, m.name, '/etc/kubernetes/manifests-stopped-by-lifeboat/kube-apiserver.yaml'),
        `${m.name}: apiserver manifest still parked`,
      ).toBe(false);
    } else {
      const dropins = await labExec(
        lab,
        m.name,
        'ls /etc/systemd/system/etcd.service.d/ 2>/dev/null | grep "\\.conf$" || true',
      );
      expect(dropins.stdout.trim(), `${m.name} etcd.service.d`).toBe('');
      expect(await hostRead(lab, m.name, '/etc/etcd/etcd.conf'), `${m.name} etcd.conf`).not.toMatch(
        /FORCE_NEW_CLUSTER/,
      );
    }
  }
  if (lab.mode === 'static-pod') {
    await waitFor(
      async () => (await labStatus(lab)).members.every((m) => m.apiserver?.running && m.apiserver.ok),
      // A real kube-apiserver restarted by the runbook needs tens of seconds to be ready on a loaded machine.
      {
        timeoutMs: lab.controlPlane === 'real' ? 180_000 : 30_000,
        intervalMs: 250,
        what: 'every kube-apiserver up and reaching etcd',
      },
    );
  }
  for (const name of check.asideOn ?? []) {
    const r = await labExec(
      lab,
      name,
      'ls -d /var/lib/etcd.before-* /var/lib/etcd/member.before-* 2>/dev/null',
    );
    expect(r.stdout.trim(), `${name}: old data moved aside`).not.toBe('');
  }
}

/** Data dir owner and mode as the runbooks must leave them: the user etcd runs as, 0700. */
export async function expectDataDirOwnership(lab: Lab): Promise<void> {
  const user = lab.mode === 'systemd' ? 'etcd' : 'root';
  for (const m of lab.members) {
    const r = await labExec(lab, m.name, 'stat -c "%U %a" /var/lib/etcd');
    expect(r.stdout.trim(), m.name).toBe(`${user} 700`);
  }
}

/** Steps that ran in a run dir (step.start events), in order. */
export const stepsRun = (runDir: string) =>
  readAuditEvents(runDir)
    .filter((e) => e.type === 'step.start')
    .map((e) => e.stateId);

/** One seeded lab for a test file, up before its tests and down (by pid) after them. */
export function oneLab(
  tag: string,
  o: { members: number; mode: 'static-pod' | 'systemd' },
  set: (lab: Lab) => void,
): string {
  const dir = mkdtempSync(join(tmpdir(), `lifeboat-rb-${tag}-`));
  beforeAll(async () =>
    set(await labUp({ dir: join(dir, 'lab'), ...o, seedData: true, etcdVersion: labEtcdVersion() })),
  );
  afterAll(async () => {
    await labDown(join(dir, 'lab')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A static-pod and a systemd lab brought up side by side before a file's tests and always brought down after. */
export function twoLabs(
  tag: string,
  members: { sp: number; sd: number },
  set: (sp: Lab, sd: Lab) => void,
): string {
  const dir = mkdtempSync(join(tmpdir(), `lifeboat-rb-${tag}-`));
  beforeAll(async () => {
    const [sp, sd] = await Promise.all([
      labUp({
        dir: join(dir, 'sp'),
        members: members.sp,
        mode: 'static-pod',
        seedData: true,
        etcdVersion: labEtcdVersion(),
      }),
      labUp({
        dir: join(dir, 'sd'),
        members: members.sd,
        mode: 'systemd',
        seedData: true,
        etcdVersion: labEtcdVersion(),
      }),
    ]);
    set(sp, sd);
  });
  afterAll(async () => {
    await Promise.allSettled([labDown(join(dir, 'sp')), labDown(join(dir, 'sd'))]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Takes a snapshot through the first member (as an operator would) and copies it out of the host. */
export async function takeSnapshot(lab: Lab, to: string): Promise<string> {
  const m = lab.members[0]!;
  const inHost = `/backup/test-${Date.now()}.db`;
  await etcdctl(lab, `snapshot save ${inHost}`, m.clientURL);
  return hostCopyOut(lab, m.name, inHost, to);
}

/** Deletes seeded objects and adds one (and, if asked, overwrites one): the state a restore must undo. */
export async function damage(lab: Lab, tag: string, o: { overwrite?: boolean } = {}): Promise<void> {
  await labBreak(lab, 'delete-objects');
  await etcdctl(lab, `put /registry/configmaps/default/added-after-backup-${tag} changed`);
  if (!o.overwrite) return;
  const some = (await etcdctl(lab, 'get /registry/configmaps/team-b/ --prefix --keys-only --limit=1'))
    .trim()
    .split('\n')[0]!;
  await etcdctl(lab, `put ${some} overwritten-${tag}`);
}

/** The etcd line lab tests run on: LAB_ETCD_VERSION (one of the lab's lines), default the lab's default. */
export function labEtcdVersion(): EtcdVersion {
  const v = process.env.LAB_ETCD_VERSION ?? DEFAULT_ETCD_VERSION;
  const line = ETCD_VERSIONS.find((x) => x === v);
  if (!line) throw new Error(`LAB_ETCD_VERSION=${v} is not one of ${ETCD_VERSIONS.join(', ')}`);
  return line;
}

/** A tool of the etcd release the lab runs, on this machine (tests never take whatever etcdctl is on PATH). */
export function labTool(lab: Lab, tool: EtcdTool): string {
  return etcdSources(lab.etcd?.version ?? labEtcdVersion())[tool];
}

/** The cluster's current revision, as a member reports it in `endpoint status`. */
export async function clusterRevision(lab: Lab, member = lab.members[0]!): Promise<number> {
  const rev = Number(
    /"revision":(\d+)/.exec(await etcdctl(lab, 'endpoint status -w json', member.clientURL))?.[1],
  );
  if (!Number.isFinite(rev)) throw new Error(`${member.name}: no revision in endpoint status`);
  return rev;
}

/** What a restore does to revisions on every lab line: bumped past every revision served before, no "not bumped"
 *  warning (3.4's warning, without etcdutl, is unit-tested). */
export async function expectRevisionOutcome(
  lab: Lab,
  o: { runDir: string; stderr: string; before: number },
): Promise<void> {
  const warned = readAuditEvents(o.runDir).some(
    (e) => e.type === 'warning' && /revision not bumped/.test(String(e.message)),
  );
  const after = await clusterRevision(lab);
  expect(warned, `no "revision not bumped" warning on etcd ${lab.etcd?.release}`).toBe(false);
  expect(after, `revision after the restore (${after}) > before (${o.before})`).toBeGreaterThan(o.before);
}

/** The control-plane components the lab runs besides the API server (static pods or units). */
export const COMPONENTS = ['kube-controller-manager', 'kube-scheduler'] as const;

/** Each member's last recorded start of each component (`member/component` -> ISO time), as the stand-ins wrote it. */
export async function componentStarts(lab: Lab): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const m of lab.members)
    for (const c of COMPONENTS) {
      const r = await labExec(lab, m.name, `tail -n1 /var/lib/lifeboat-lab/${c}.starts 2>/dev/null`);
      out.set(`${m.name}/${c}`, r.stdout.trim().split(' ')[0] ?? '');
    }
  return out;
}

/** Every component on every member started again after `before` was read (and was running before it). */
export async function expectComponentsRestarted(lab: Lab, before: Map<string, string>): Promise<void> {
  const after = await componentStarts(lab);
  for (const [k, t] of before) {
    expect(t, `${k} had started before the run`).not.toBe('');
    expect(after.get(k)! > t, `${k} restarted: ${t} -> ${after.get(k)}`).toBe(true);
  }
}
