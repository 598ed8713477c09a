// The lab on real etcd, sshd and namespaces, static-pod mode: health, isolation, SSH host keys, kubelet behaviour, seeded data, breaks, down.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import {
  compareWithManifest,
  etcdPid,
  hostPids,
  labBreak,
  labDown,
  labExec,
  labStatus,
  labUp,
  readAllKeys,
  readAllValues,
  readManifest,
  sshBanner,
  waitFor,
  type Lab,
} from '../../src/lab/index.js';
import { loadInventory } from '../../src/inventory/load.js';
import { seedObjects } from '../../src/lab/seed.js';
import { decodeStoredValue, objectOf } from '../../src/k8s/value.js';
import { labTool } from './runbook-helpers.js';

function sh(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const sshArgs = (lab: Lab, knownHosts: string, address: string, cmd: string) => [
  '-i',
  lab.ssh.identityFile,
  '-o',
  `UserKnownHostsFile=${knownHosts}`,
  '-o',
  'GlobalKnownHostsFile=/dev/null',
  '-o',
  'StrictHostKeyChecking=yes',
  '-o',
  'BatchMode=yes',
  '-o',
  'IdentitiesOnly=yes',
  '-o',
  'ConnectTimeout=5',
  `root@${address}`,
  cmd,
];

async function answers(lab: Lab, name: string): Promise<boolean> {
  return (await labStatus(lab)).members.find((m) => m.name === name)!.etcdUp;
}

describe('lab, static-pod mode, 3 members', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-lab-sp-'));
  let lab: Lab;
  let upMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    lab = await labUp({ dir, members: 3, mode: 'static-pod', seedData: true });
    upMs = Date.now() - t0;
  });
  afterAll(async () => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  // A hang, not pacing: alone it takes ~5 s; three lab files at once on a loaded 2-core CI machine took over 20 s.
  it('comes up healthy, with TLS, in under 90 s (seeding included)', async () => {
    expect(upMs).toBeLessThan(90_000);
    const st = await labStatus(lab);
    expect(st.members.map((m) => [m.name, m.hostUp, m.sshdUp, m.etcdUp, m.healthy, m.apiserver?.ok])).toEqual(
      lab.members.map((m) => [m.name, true, true, true, true, true]),
    );
    expect(st.members.filter((m) => m.isLeader)).toHaveLength(1);
    expect(new Set(st.members.map((m) => m.leader)).size).toBe(1);
    // Client traffic is TLS only: plain HTTP and a TLS client without a cert are refused; the kubeadm cert works.
    const m = lab.members[0]!;
    const plain = await sh(labTool(lab, 'etcdctl'), [
      '--endpoints',
      `http://${m.address}:2379`,
      '--command-timeout=2s',
      'endpoint',
      'health',
    ]);
    expect(plain.code).not.toBe(0);
    const noCert = await sh(labTool(lab, 'etcdctl'), [
      '--endpoints',
      m.clientURL,
      '--cacert',
      lab.client.ca,
      '--command-timeout=2s',
      'get',
      'x',
    ]);
    expect(noCert.code).not.toBe(0);
    const inHost = await labExec(
      lab,
      m.name,
      `etcdctl --endpoints ${lab.members.map((x) => x.clientURL).join(',')} --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key endpoint health`,
    );
    expect(inHost.code, inHost.stderr).toBe(0);
    expect((inHost.stdout + inHost.stderr).match(/is healthy/g)).toHaveLength(3);
  });

  it('writes an inventory that loads with the real loader', () => {
    const inv = loadInventory(lab.inventoryPath);
    expect(inv.topology).toBe('static-pod');
    expect(inv.members.map((m) => [m.name, m.address, m.clientURL, m.peerURL])).toEqual(
      lab.members.map((m) => [m.name, m.address, m.clientURL, m.peerURL]),
    );
    expect(inv.members[0]!.ssh.identityFile).toBe('ssh/id_ed25519');
    expect(existsSync(join(inv.baseDir, inv.members[0]!.ssh.knownHosts!))).toBe(true);
    expect(lab.members.every((m) => /^127\.0\.\d+\.\d+$/.test(m.address))).toBe(true);
  });

  it('gives each host its own hostname, /etc/kubernetes and /var/lib/etcd', async () => {
    const seen = [];
    for (const m of lab.members) {
      const r = await labExec(
        lab,
        m.name,
        `hostname; stat -c %a /var/lib/etcd; openssl x509 -in /etc/kubernetes/pki/etcd/server.crt -noout -ext subjectAltName | tail -1; touch /etc/kubernetes/only-on-${m.name} /var/lib/etcd/only-on-${m.name}; ls /etc/kubernetes /var/lib/etcd | grep only-on`,
      );
      expect(r.code, r.stderr).toBe(0);
      const [host, mode, san, ...marks] = r.stdout.trim().split('\n');
      expect(host).toBe(m.name);
      expect(mode).toBe('700');
      expect(san).toContain(`IP Address:${m.address}`);
      expect(marks).toEqual([`only-on-${m.name}`, `only-on-${m.name}`]);
      expect(
        existsSync(`/etc/kubernetes/only-on-${m.name}`) || existsSync(`/var/lib/etcd/only-on-${m.name}`),
      ).toBe(false); // not on the real root
      seen.push(host);
      await labExec(lab, m.name, `rm /etc/kubernetes/only-on-${m.name} /var/lib/etcd/only-on-${m.name}`);
    }
    expect(new Set(seen).size).toBe(3);
    // Each host's pid namespace: ps shows that host's etcd only.
    const ps = await labExec(lab, 'cp-1', 'ps -eo args | grep -c "^etcd "');
    expect(ps.stdout.trim()).toBe('1');
  });

  it('lets the real ssh client in with the lab known_hosts and refuses a changed host key', async () => {
    for (const m of lab.members) {
      const r = await sh('ssh', sshArgs(lab, lab.ssh.knownHosts, m.address, 'hostname'));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(m.name);
    }
    // A known_hosts naming another key for cp-1's address: ssh must refuse.
    const other = readFileSync(lab.ssh.knownHosts, 'utf8').split('\n')[1]!.split(' ').slice(1).join(' ');
    const forged = join(dir, 'forged_known_hosts');
    writeFileSync(forged, `${lab.members[0]!.address} ${other}\n`);
    const r = await sh('ssh', sshArgs(lab, forged, lab.members[0]!.address, 'hostname'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('holds the seeded data: matches the manifest and the protobuf values decode to what was written', async () => {
    const manifest = readManifest(lab);
    expect(manifest.count).toBeGreaterThanOrEqual(1000);
    for (const m of lab.members)
      expect(await compareWithManifest(lab, { member: m.name })).toEqual({
        missing: [],
        changed: [],
        extra: [],
      });
    const { values } = await readAllValues(lab, { prefix: '/registry/' });
    let protobuf = 0;
    for (const o of seedObjects()) {
      const v = values.get(o.key);
      expect(v, o.key).toBeDefined();
      if (o.encoding === 'protobuf') {
        expect(v!.subarray(0, 4).toString('latin1')).toBe('k8s\0');
        protobuf++;
      }
      const decoded = objectOf(decodeStoredValue(v!));
      if (!isDeepStrictEqual(decoded, o.object)) expect(decoded, o.key).toEqual(o.object);
    }
    expect(protobuf).toBeGreaterThan(900);
  });

  it('static pods: moving etcd.yaml away stops etcd, moving it back starts it; the apiserver stand-in follows', async () => {
    const name = 'cp-1';
    expect(etcdPid(lab, name)).not.toBeNull();
    const away = await labExec(
      lab,
      name,
      'mkdir -p /tmp/lifeboat-test-manifests && mv /etc/kubernetes/manifests/etcd.yaml /tmp/lifeboat-test-manifests/',
    );
    expect(away.code, away.stderr).toBe(0);
    await waitFor(async () => etcdPid(lab, name) === null && !(await answers(lab, name)), {
      timeoutMs: 10_000,
      what: 'etcd on cp-1 to stop',
    });
    await waitFor(async () => (await labStatus(lab)).members[0]!.apiserver?.ok === false, {
      timeoutMs: 10_000,
      what: 'apiserver on cp-1 to lose etcd',
    });
    const back = await labExec(
      lab,
      name,
      'mv /tmp/lifeboat-test-manifests/etcd.yaml /etc/kubernetes/manifests/',
    );
    expect(back.code, back.stderr).toBe(0);
    await waitFor(async () => (await labStatus(lab)).members[0]!.healthy, {
      timeoutMs: 15_000,
      what: 'etcd on cp-1 to be healthy again',
    });
    await waitFor(async () => (await labStatus(lab)).members[0]!.apiserver?.ok === true, {
      timeoutMs: 10_000,
      what: 'apiserver on cp-1 to read etcd again',
    });
    // The API server is a static pod too: its manifest moved away stops it.
    await labExec(
      lab,
      name,
      'mv /etc/kubernetes/manifests/kube-apiserver.yaml /tmp/lifeboat-test-manifests/',
    );
    await waitFor(async () => (await labStatus(lab)).members[0]!.apiserver?.running === false, {
      timeoutMs: 10_000,
      what: 'apiserver on cp-1 to stop',
    });
    await labExec(
      lab,
      name,
      'mv /tmp/lifeboat-test-manifests/kube-apiserver.yaml /etc/kubernetes/manifests/',
    );
    await waitFor(async () => (await labStatus(lab)).members[0]!.apiserver?.ok === true, {
      timeoutMs: 10_000,
      what: 'apiserver on cp-1 back',
    });
  });

  it('static pods: a data dir moved aside and named in the manifest hostPath is what etcd gets at /var/lib/etcd', async () => {
    const name = 'cp-1';
    const steps = [
      'mkdir -p /tmp/lifeboat-test-manifests && mv /etc/kubernetes/manifests/etcd.yaml /tmp/lifeboat-test-manifests/',
      'while pidof etcd >/dev/null; do sleep 0.1; done',
      'mv /var/lib/etcd /var/lib/etcd-moved',
      "sed -i 's#path: /var/lib/etcd$#path: /var/lib/etcd-moved#' /tmp/lifeboat-test-manifests/etcd.yaml",
      'mv /tmp/lifeboat-test-manifests/etcd.yaml /etc/kubernetes/manifests/',
    ];
    const r = await labExec(lab, name, steps.join(' && '), { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    await waitFor(async () => (await labStatus(lab)).members[0]!.healthy, {
      timeoutMs: 15_000,
      what: 'cp-1 healthy on the moved data dir',
    });
    expect(await compareWithManifest(lab, { member: name, serializable: true })).toEqual({
      missing: [],
      changed: [],
      extra: [],
    });
    const inside = await labExec(
      lab,
      name,
      'ls /var/lib/etcd-moved; test ! -e /var/lib/etcd/member && echo empty-at-old-path',
    );
    expect(inside.stdout.split('\n')).toEqual(['member', 'empty-at-old-path', '']);
  });

  it('delete-objects deletes some seeded objects and nothing else', async () => {
    const before = await readAllKeys(lab);
    const r = await labBreak(lab, 'delete-objects');
    expect(r.deletedKeys!.length).toBeGreaterThanOrEqual(5);
    const after = await readAllKeys(lab);
    for (const k of r.deletedKeys!) expect(after.has(k)).toBe(false);
    expect(after.size).toBe(before.size - r.deletedKeys!.length);
    const diff = await compareWithManifest(lab);
    expect(diff.missing.sort()).toEqual([...r.deletedKeys!].sort());
    expect(diff.changed).toEqual([]);
  });

  it('ssh-down stops sshd on one host; etcd there keeps running', async () => {
    await labBreak(lab, 'ssh-down', 'cp-3');
    expect(await sshBanner(lab.members[2]!.address)).toBe(false);
    const r = await sh('ssh', sshArgs(lab, lab.ssh.knownHosts, lab.members[2]!.address, 'hostname'));
    expect(r.code).not.toBe(0);
    const st = await labStatus(lab);
    expect(st.members[2]).toMatchObject({ sshdUp: false, etcdUp: true, healthy: true });
  });

  it('kill-member takes etcd down on one member; the other two keep quorum', async () => {
    const r = await labBreak(lab, 'kill-member', 'cp-3');
    expect(r.members).toEqual(['cp-3']);
    // If cp-3 led, the other two elect a new leader first.
    const st = await waitFor(
      async () => {
        const s = await labStatus(lab);
        return s.members[0]!.healthy && s.members[1]!.healthy ? s : null;
      },
      { timeoutMs: 10_000, what: 'cp-1 and cp-2 to keep quorum' },
    );
    expect(st.members.map((m) => [m.name, m.etcdUp, m.healthy])).toEqual([
      ['cp-1', true, true],
      ['cp-2', true, true],
      ['cp-3', false, false],
    ]);
    const health = await labExec(
      lab,
      'cp-1',
      `etcdctl --endpoints ${lab.members[2]!.clientURL} --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key --command-timeout=2s endpoint health`,
    );
    expect(health.code).not.toBe(0);
  });

  it('corrupt-member damages one member db: etcd cannot start on it', async () => {
    await labBreak(lab, 'corrupt-member', 'cp-2');
    const name = 'cp-2';
    await labExec(
      lab,
      name,
      'mkdir -p /tmp/lifeboat-test-manifests && mv /etc/kubernetes/manifests/etcd.yaml /tmp/lifeboat-test-manifests/',
    );
    await labExec(lab, name, 'mv /tmp/lifeboat-test-manifests/etcd.yaml /etc/kubernetes/manifests/');
    // The kubelet starts it again; etcd exits on the damaged db.
    const crictl = await waitFor(
      async () => {
        const r = await labExec(lab, name, 'crictl ps -a --name etcd');
        return /Exited/.test(r.stdout) ? r.stdout : null;
      },
      { timeoutMs: 15_000, what: 'etcd on cp-2 to exit on its damaged db' },
    );
    expect(crictl).toMatch(/etcd/);
    const log = await labExec(
      lab,
      name,
      `tail -n 30 ${join(lab.members[1]!.hostDir, 'log', 'etcd-cp-2_etcd.log')}`,
    );
    expect(log.stdout).toMatch(/invalid|panic|corrupt|mmap|failed/i);
    expect(await answers(lab, name)).toBe(false);
  });

  it('lab down leaves no process and no mount of the lab', async () => {
    const pidsBefore = hostPids(lab);
    expect(pidsBefore.length).toBeGreaterThan(6);
    const r = await labDown(dir);
    expect(r.remaining).toEqual([]);
    expect(hostPids(lab)).toEqual([]);
    for (const p of pidsBefore)
      expect(
        existsSync(`/proc/${p}/cmdline`) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir),
      ).toBe(false);
    const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(mountinfo).not.toContain(`lifeboat-${lab.id}`);
    expect(mountinfo).not.toContain(dir);
    for (const m of lab.members) expect(await sshBanner(m.address, 500)).toBe(false);
  });
});
