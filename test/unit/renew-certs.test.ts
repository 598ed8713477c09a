// renew-certs' host script run on a fake kubeadm host in a temp dir (real openssl, the lab's PKI helpers): with a
// `kubeadm` on the PATH (a stand-in that records its argv) kubeadm's four etcd certs go through `kubeadm certs renew
// NAME --cert-dir PKI`; without it, or for another validity, openssl re-issues them; old pairs in certs-before-STAMP/.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostCtx } from '../../src/engine/types.js';
import { issue, makeCa } from '../../src/lab/pki.js';
import { keptFolder } from '../../src/steps/certs.js';
import { KUBEADM_CERTS, renewScript } from '../../src/steps/renew.js';
import { matrix, planOf, scriptsOf } from '../helpers/plans.js';

const root = mkdtempSync(join(tmpdir(), 'lifeboat-renew-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const IP = '127.0.0.1';

/** A kubeadm host under `dir`: manifests naming the certs, the etcd CA and its key, all four certs for 3650 days. */
async function kubeadmHost(dir: string) {
  const k8s = join(dir, 'etc/kubernetes');
  const pki = join(k8s, 'pki');
  mkdirSync(join(k8s, 'manifests'), { recursive: true });
  const ca = await makeCa(join(pki, 'etcd'), 'ca', 'etcd-ca');
  const member = { cn: 'cp-1', ips: [IP], dns: ['cp-1'], server: true, client: true };
  await Promise.all([
    issue(ca, { out: join(pki, 'etcd/server'), ...member }),
    issue(ca, { out: join(pki, 'etcd/peer'), ...member }),
    issue(ca, { out: join(pki, 'etcd/healthcheck-client'), cn: 'hc', server: false, client: true }),
    issue(ca, { out: join(pki, 'apiserver-etcd-client'), cn: 'api', server: false, client: true }),
  ]);
  const flags = (f: Record<string, string>) =>
    Object.entries(f)
      .map(([k, v]) => `    - --${k}=${v}`)
      .join('\n');
  writeFileSync(
    join(k8s, 'manifests/etcd.yaml'),
    `spec:\n  containers:\n  - command:\n    - etcd\n${flags({
      'cert-file': `${pki}/etcd/server.crt`,
      'key-file': `${pki}/etcd/server.key`,
      'peer-cert-file': `${pki}/etcd/peer.crt`,
      'peer-key-file': `${pki}/etcd/peer.key`,
      'trusted-ca-file': `${pki}/etcd/ca.crt`,
      'peer-trusted-ca-file': `${pki}/etcd/ca.crt`,
    })}\n`,
  );
  writeFileSync(
    join(k8s, 'manifests/kube-apiserver.yaml'),
    `spec:\n  containers:\n  - command:\n    - kube-apiserver\n${flags({
      'etcd-cafile': `${pki}/etcd/ca.crt`,
      'etcd-certfile': `${pki}/apiserver-etcd-client.crt`,
      'etcd-keyfile': `${pki}/apiserver-etcd-client.key`,
    })}\n`,
  );
  const ctx = {
    inventory: { topology: 'static-pod' },
    member: {
      name: 'cp-1',
      address: IP,
      manifest: join(k8s, 'manifests/etcd.yaml'),
      apiserverManifest: join(k8s, 'manifests/kube-apiserver.yaml'),
    },
    stamp: 'S1',
  };
  return { pki, ctx };
}

/** A bin folder with a `kubeadm` that records its arguments, one call a line. */
function fakeKubeadm(dir: string): { bin: string; log: string } {
  const bin = join(dir, 'bin');
  const log = join(dir, 'kubeadm.log');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'kubeadm'), `#!/bin/sh\necho "$*" >>'${log}'\n`);
  chmodSync(join(bin, 'kubeadm'), 0o755);
  return { bin, log };
}

const run = (script: string, bin?: string) =>
  spawnSync('sh', ['-c', script], {
    encoding: 'utf8',
    env: { PATH: [bin, '/usr/bin', '/bin'].filter(Boolean).join(':') },
  });
const daysLeft = (crt: string) => {
  const end = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-enddate'], { encoding: 'utf8' });
  return (Date.parse(end.split('=')[1]!) - Date.now()) / 86_400_000;
};

// Real openssl on a shared 2-core machine: each case issues and re-issues several certificates.
describe('renew-certs host script', () => {
  it('kubeadm on the host: kubeadm certs renew NAME --cert-dir PKI for each of its four files, old pairs kept', async () => {
    const dir = join(root, 'kubeadm');
    const { pki, ctx } = await kubeadmHost(dir);
    const { bin, log } = fakeKubeadm(dir);
    // within 4000 days: the 10-year lab certs count as expiring.
    const c = { ...ctx, params: { within: '4000' } } as unknown as HostCtx;
    const r = run(renewScript(c).text, bin);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(
      KUBEADM_CERTS.map(([, name]) => `certs renew ${name} --cert-dir ${pki}`),
    );
    for (const [p] of KUBEADM_CERTS) {
      const kept = join(pki, p, '..', keptFolder('S1'));
      const base = p.split('/').pop()!;
      expect(existsSync(join(kept, base)) && existsSync(join(kept, base.replace(/\.crt$/, '.key'))), p).toBe(
        true,
      );
    }
  }, 120_000);

  it('no kubeadm, or another validity than its one year: openssl re-issues them for --set days, SANs kept', async () => {
    for (const [name, params, withKubeadm] of [
      ['no-kubeadm', { within: '4000' }, false],
      ['days-730', { within: '4000', days: '730' }, true],
    ] as const) {
      const dir = join(root, name);
      const { pki, ctx } = await kubeadmHost(dir);
      const { bin, log } = fakeKubeadm(dir);
      const before = execFileSync('openssl', [
        'x509',
        '-in',
        `${pki}/etcd/peer.crt`,
        '-noout',
        '-ext',
        'subjectAltName',
      ]);
      const c = { ...ctx, params } as unknown as HostCtx;
      const r = run(renewScript(c).text, withKubeadm ? bin : undefined);
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(log), name).toBe(false);
      const want = Number(params.days ?? 365);
      for (const [p] of KUBEADM_CERTS) {
        expect(Math.round(daysLeft(join(pki, p))), `${name} ${p}`).toBe(want);
        expect(existsSync(join(pki, p, '..', keptFolder('S1'), p.split('/').pop()!)), p).toBe(true);
      }
      expect(
        execFileSync('openssl', ['x509', '-in', `${pki}/etcd/peer.crt`, '-noout', '-ext', 'subjectAltName']),
      ).toEqual(before);
      // Run again: every cert is valid beyond the window now and left alone.
      const again = run(
        renewScript({ ...c, params: { ...params, within: '30' } } as unknown as HostCtx).text,
      );
      expect(again.stdout.match(/left alone/g)?.length, again.stdout).toBe(4);
    }
  }, 240_000);

  it('plans name kubeadm only on static-pod; every topology reads the member own flags', () => {
    const cases = matrix().filter((c) => c.runbook.id === 'renew-certs');
    expect(new Set(cases.map((c) => c.ctx.inventory.topology)).size).toBe(4);
    for (const c of cases) {
      const p = planOf(c);
      expect(p.refusal, c.name).toBeUndefined();
      const renew = scriptsOf(p).filter((s) => s.where.startsWith('renew/renew '));
      expect(renew.length, c.name).toBe(c.ctx.inventory.members.length);
      for (const s of renew) {
        expect(s.script.includes('kubeadm certs renew "$kk" --cert-dir "$kdir"'), c.name).toBe(true);
        const arms = s.script.includes('kk=etcd-server;;');
        expect(arms, c.name).toBe(c.ctx.inventory.topology === 'static-pod');
        expect(s.script, c.name).toContain('crt=$(v cert-file)');
        expect(s.script, c.name).toContain('crt=$(v peer-cert-file)');
      }
    }
  });
});
