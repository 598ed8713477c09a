// lab up --bare: new machines for a restore onto new hosts: sshd answers, etcd's binaries are there, the kubeadm layout
// (an empty manifests dir) exists, and there is no cluster: no etcd running, no data, no PKI, no manifests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labExec, labStatus, labUp, type Lab } from '../../src/lab/index.js';
import { cli } from './runbook-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bare-'));
let lab: Lab;
beforeAll(async () => {
  lab = await labUp({ dir: join(dir, 'lab'), members: 3, bare: true });
});
afterAll(async () => {
  await labDown(join(dir, 'lab')).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('lab up --bare', () => {
  it('hosts with sshd, etcd binaries and an empty kubeadm layout; no cluster, data or PKI', async () => {
    const st = await labStatus(lab);
    expect(st.members.map((m) => [m.name, m.sshdUp, m.etcdUp])).toEqual(
      lab.members.map((m) => [m.name, true, false]),
    );
    for (const m of lab.members) {
      const r = await labExec(
        lab,
        m.name,
        'etcd --version >/dev/null && etcdctl version >/dev/null && echo bin; [ -d /etc/kubernetes/manifests ] && ls -A /etc/kubernetes/manifests | wc -l; [ -e /etc/kubernetes/pki ] && echo pki; ls -A /var/lib/etcd | wc -l',
      );
      expect(r.stdout.trim().split('\n'), m.name).toEqual(['bin', '0', '0']);
    }
    // The inventory reaches every host over SSH (host keys verified), and diagnose finds no cluster: quorum lost.
    const d = await cli(['diagnose', '-i', lab.inventoryPath]);
    expect(d.code, d.stdout + d.stderr).toBe(3);
  });
});
