// readdress on the systemd, k3s-external and docker lab modes (issue 13): one member of 3 moves (lab readdress), the
// runbook moves it with quorum held. Per mode: every key and value intact, member list with the new peer URL, the
// moved member's certs (etcd's and the API server's) carry the new IP SAN and verify against the CA, the old certs and
// config kept with a timestamp (files .before-STAMP, docker's old containers renamed), no config naming the old
// address, every member and API server healthy, diagnose exit 0.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  labDown,
  labExec,
  labReaddress,
  labStatus,
  labUp,
  waitFor,
  type Lab,
  type LabMode,
} from '../../src/lab/index.js';
import { dockerTls, K3S_TLS } from '../../src/lab/modes.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectSameData,
  labEtcdVersion,
  labTool,
  snapshotValues,
} from './runbook-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lifeboat-rb-readdress-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** etcdctl from the lab machine with the lab's admin client cert (every mode, whatever the hosts carry). */
function etcdctl(
  lab: Lab,
  args: string[],
  eps = lab.members.map((m) => m.clientURL).join(','),
): Promise<string> {
  const tls = ['--cacert', lab.client.ca, '--cert', lab.client.cert, '--key', lab.client.key];
  return new Promise((res, rej) =>
    execFile(
      labTool(lab, 'etcdctl'),
      [`--endpoints=${eps}`, ...tls, '--command-timeout=5s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' } },
      (err, out, errOut) => (err ? rej(new Error(`etcdctl ${args.join(' ')}: ${errOut}`)) : res(out)),
    ),
  );
}

/** The moved member's certs, with the CA each must verify against. */
function certsOf(lab: Lab, name: string): Array<{ cert: string; ca: string }> {
  const m = lab.members.find((x) => x.name === name)!;
  if (lab.mode === 'docker') {
    const t = dockerTls(m);
    return [
      { cert: t.cert, ca: t.ca },
      { cert: '/etc/kubernetes/ssl/kube-apiserver.pem', ca: t.ca },
    ];
  }
  const etcd = ['server', 'peer'].map((c) => ({ cert: `/etc/etcd/${c}.crt`, ca: '/etc/etcd/ca.crt' }));
  if (lab.mode !== 'k3s-external') return etcd;
  return [...etcd, { cert: `${K3S_TLS}/serving-kube-apiserver.crt`, ca: `${K3S_TLS}/server-ca.crt` }];
}

/** What on a host names etcd's (and its clients') addresses: config files, or the containers' arguments. */
const configText = (mode: LabMode) =>
  mode === 'docker'
    ? "for c in etcd kube-apiserver; do docker inspect -f '{{range .Args}}{{println .}}{{end}}' $c; done"
    : mode === 'k3s-external'
      ? 'cat /etc/etcd/etcd.conf /etc/systemd/system/k3s.service'
      : 'cat /etc/etcd/etcd.conf';

/** Old config kept with this run's timestamp: files .before-STAMP, or docker's old containers under new names. */
const keptAside = (mode: LabMode) =>
  mode === 'docker'
    ? "docker ps -a | awk '{print $NF}' | grep -E '^etcd-before-lifeboat-' && docker ps -a | awk '{print $NF}' | grep -E '^kube-apiserver-before-lifeboat-'"
    : mode === 'k3s-external'
      ? 'ls /etc/etcd/lifeboat-backup/etcd.conf.before-* /etc/etcd/lifeboat-backup/k3s.service.before-*'
      : 'ls /etc/etcd/lifeboat-backup/etcd.conf.before-*';

async function expectMoved(lab: Lab, name: string, old: string, want: Map<string, Buffer>): Promise<void> {
  const m = lab.members.find((x) => x.name === name)!;
  const list = JSON.parse(
    (await etcdctl(lab, ['member', 'list', '-w', 'json'])).replace(/"ID":(\d+)/g, '"ID":"$1"'),
  ) as { members: Array<{ name: string; peerURLs: string[] }> };
  expect(list.members.map((x) => [x.name, x.peerURLs.join(',')]).sort()).toEqual(
    lab.members.map((x) => [x.name, x.peerURL]).sort(),
  );
  for (const { cert, ca } of certsOf(lab, name)) {
    const r = await labExec(
      lab,
      name,
      `openssl x509 -in ${cert} -noout -ext subjectAltName && openssl verify -CAfile ${ca} ${cert} && ls ${cert}.before-*`,
    );
    expect(r.code, `${cert}: ${r.stderr}`).toBe(0);
    expect(r.stdout, cert).toContain(`IP Address:${m.address}`);
    expect(r.stdout, cert).not.toMatch(new RegExp(`IP Address:${old.replace(/\./g, '\\.')}(,|\\n)`));
  }
  const aside = await labExec(lab, name, keptAside(lab.mode));
  expect(aside.code, `${name}: old config kept: ${aside.stderr}`).toBe(0);
  for (const x of lab.members) {
    const r = await labExec(lab, x.name, configText(lab.mode));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout, `${x.name}: config naming ${old}`).not.toContain(`//${old}:`);
    expect(r.stdout, `${x.name}: config naming ${m.address}`).toContain(`//${m.address}:`);
  }
  await waitFor(
    async () =>
      (await labStatus(lab)).members.every(
        (s) => s.etcdUp && s.healthy && (lab.mode === 'systemd' || s.apiserver?.ok === true),
      ),
    { timeoutMs: 60_000, intervalMs: 500, what: 'every member and API server healthy' },
  );
  const versions = (await labStatus(lab)).members.map((s) => s.version?.split('.').slice(0, 2).join('.'));
  expect(versions, 'etcd release the members run').toEqual(lab.members.map(() => labEtcdVersion()));
  expectSameData(await clusterValues(lab), want);
  expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
}

for (const mode of ['systemd', 'k3s-external', 'docker'] as const) {
  describe(`readdress, ${mode}, 3 members`, () => {
    const dir = join(root, mode);
    let lab: Lab;
    let want: Map<string, Buffer>;
    beforeAll(async () => {
      lab = await labUp({ dir, members: 3, mode, seedData: true, etcdVersion: labEtcdVersion() });
      want = await clusterValues(lab);
    });
    afterAll(async () => {
      await labDown(dir).catch(() => undefined);
    });

    it('one member moved, quorum held: peer URL, certs, flags and clients on the new address; data intact', async () => {
      const old = lab.members[1]!.address;
      await labReaddress(lab, 'cp-2', `${lab.subnet}.21`);
      const r = await cli([
        'run',
        'readdress',
        '-i',
        lab.inventoryPath,
        '--yes',
        '--run-dir',
        join(root, `run-${mode}`),
      ]);
      expectCode(r, 0);
      await expectMoved(lab, 'cp-2', old, want);
    }, 300_000);

    it('everything moved (quorum lost): readdress refuses; restore-multi-master rebuilds on the new addresses', async () => {
      const snap = join(root, `${mode}-before-all-moved.db`);
      await etcdctl(lab, ['snapshot', 'save', snap], lab.members[0]!.clientURL);
      const olds = lab.members.map((m) => m.address);
      for (const [i, m] of lab.members.entries()) await labReaddress(lab, m.name, `${lab.subnet}.${31 + i}`);
      const refused = await cli([
        'run',
        'readdress',
        '-i',
        lab.inventoryPath,
        '--yes',
        '--run-dir',
        join(root, `refused-${mode}`),
      ]);
      expectCode(refused, 2);
      expect(refused.stderr).toMatch(/quorum lost: 0 healthy member\(s\).*restore-multi-master/);
      const r = await cli([
        'run',
        'restore-multi-master',
        '-i',
        lab.inventoryPath,
        '--set',
        `snapshot=${snap}`,
        '--yes',
        '--run-dir',
        join(root, `restore-${mode}`),
      ]);
      expectCode(r, 0);
      for (const [i, m] of lab.members.entries())
        await expectMoved(lab, m.name, olds[i]!, snapshotValues(snap));
    }, 300_000);
  });
}
