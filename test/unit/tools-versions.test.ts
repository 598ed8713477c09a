// Which tool restores and reads snapshots per etcd version, and the container fallback when etcdctl is not on the host.
import { describe, expect, it } from 'vitest';
import { parseProbe, type MemberFacts } from '../../src/etcd/facts.js';
import { makeTools, type RestoreOpts } from '../../src/etcd/tools.js';
import { sh } from '../../src/shell/sh.js';
import type { ResolvedMember } from '../../src/inventory/resolve.js';

const m: ResolvedMember = {
  name: 'cp-1',
  address: '10.0.0.1',
  peerURL: 'https://10.0.0.1:2380',
  clientURL: 'https://10.0.0.1:2379',
  ssh: { user: 'root', port: 22, sudo: false },
  dataDir: '/var/lib/etcd',
  manifest: '/etc/kubernetes/manifests/etcd.yaml',
  apiserverManifest: '/etc/kubernetes/manifests/kube-apiserver.yaml',
  config: '/etc/etcd/etcd.conf',
  backupDir: '/backup',
  tls: {
    ca: '/etc/kubernetes/pki/etcd/ca.crt',
    cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
    key: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
  },
  tools: {},
};
const restore: RestoreOpts = {
  snapshot: '/backup/s.db',
  dataDir: '/var/lib/etcd.new',
  name: 'cp-1',
  initialCluster: 'cp-1=https://10.0.0.1:2380',
  token: 't1',
  peerURL: 'https://10.0.0.1:2380',
  bumpRevision: 1_000_000_000,
};
const facts = (f: Partial<MemberFacts>): MemberFacts => ({ reachable: true, ...f });

describe('tool choice by etcd version', () => {
  it('3.5: etcdutl restores and reads status, with --bump-revision --mark-compacted', () => {
    const t = makeTools(
      m,
      facts({
        etcdctl: '/usr/local/bin/etcdctl',
        etcdctlVersion: '3.5.15',
        etcdutl: '/usr/local/bin/etcdutl',
        etcdutlVersion: '3.5.15',
      }),
    );
    const r = t.restore(restore);
    expect(r.script.text).toMatch(/^\/usr\/local\/bin\/etcdutl snapshot restore \/backup\/s\.db /);
    expect(r.script.text).toContain('--bump-revision=1000000000 --mark-compacted');
    expect(r.warnings).toEqual([]);
    expect(t.snapshotStatus('/backup/s.db').text).toBe(
      '/usr/local/bin/etcdutl snapshot status /backup/s.db -w json',
    );
    expect(t.describe).toContain('offline restore/status: etcdutl /usr/local/bin/etcdutl');
  });

  it('3.6: etcdutl (etcdctl has no snapshot restore/status any more)', () => {
    const t = makeTools(
      m,
      facts({
        etcdctl: '/usr/bin/etcdctl',
        etcdctlVersion: '3.6.4',
        etcdutl: '/usr/bin/etcdutl',
        etcdutlVersion: '3.6.4',
      }),
    );
    const r = t.restore(restore);
    expect(r.script.text).toMatch(/^\/usr\/bin\/etcdutl snapshot restore /);
    expect(r.script.text).not.toMatch(/etcdctl/);
    expect(r.script.text).toContain('--bump-revision=1000000000 --mark-compacted');
    expect(t.snapshotStatus('/x.db').text).toMatch(/^\/usr\/bin\/etcdutl snapshot status/);
  });

  it('3.6 etcdctl without etcdutl: warned that restore is impossible with it', () => {
    const r = makeTools(m, facts({ etcdctl: '/usr/bin/etcdctl', etcdctlVersion: '3.6.4' })).restore(restore);
    expect(r.warnings.join('\n')).toMatch(/no 'snapshot restore' \(removed in 3\.6\)/);
  });

  it('3.4: etcdctl restores (ETCDCTL_API=3), no revision bump, with a warning', () => {
    const t = makeTools(m, facts({ etcdctl: '/usr/bin/etcdctl', etcdctlVersion: '3.4.23' }));
    const r = t.restore(restore);
    expect(r.script.text).toMatch(/^ETCDCTL_API=3 \/usr\/bin\/etcdctl snapshot restore /);
    expect(r.script.text).not.toContain('--bump-revision');
    expect(r.warnings.join('\n')).toMatch(/revision not bumped: etcdutl 3\.5\+ not found .*etcdctl 3\.4\.23/);
    expect(t.snapshotStatus('/x.db').text).toBe(
      'ETCDCTL_API=3 /usr/bin/etcdctl snapshot status /x.db -w json',
    );
  });

  it('an etcdutl older than 3.5 is not used', () => {
    const t = makeTools(
      m,
      facts({
        etcdctl: '/usr/bin/etcdctl',
        etcdctlVersion: '3.4.23',
        etcdutl: '/opt/etcdutl',
        etcdutlVersion: '3.4.0',
      }),
    );
    expect(t.restore(restore).script.text).toMatch(/^ETCDCTL_API=3 \/usr\/bin\/etcdctl snapshot restore/);
    expect(t.describe).toContain('etcdutl too old');
  });
});

describe('etcdctl anywhere: the container fallback', () => {
  const probe = (lines: string[]) => parseProbe(lines.join('\n') + '\n').facts;

  it('kubeadm node without etcdctl: crictl exec into the running etcd container, looked up when the command runs', () => {
    const f = probe([
      'hostname=cp-1',
      'ctr_crictl=0123456789abc',
      'ctr_etcdctl_version=3.5.15',
      'ctr_etcdutl_version=3.5.15',
      'ctr_image=registry.k8s.io/etcd:3.5.15-0',
    ]);
    expect(f.containers).toEqual({
      crictlEtcd: '0123456789abc',
      image: 'registry.k8s.io/etcd:3.5.15-0',
      etcdctlVersion: '3.5.15',
      etcdutlVersion: '3.5.15',
    });
    const t = makeTools(m, f);
    expect(t.describe).toMatch(/^etcdctl: not on the host: crictl exec into the etcd container \(3\.5\.15\)/);
    const cmd = t.etcdctl(sh`endpoint health`).text;
    expect(cmd).toContain(`crictl ps -q --name '^etcd$'`);
    expect(cmd).toContain(
      'crictl exec "$lb_ctr" etcdctl --endpoints=https://10.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt',
    );
    expect(cmd).toMatch(/endpoint health; else \{ echo 'no running etcd container/);
    // A snapshot saved inside the pod lands in the data dir (mounted from the host), then moves to the asked path.
    expect(t.snapshotSave('/backup/x.db').text).toContain(
      'snapshot save /var/lib/etcd/.lifeboat-snapshot.part && mv /var/lib/etcd/.lifeboat-snapshot.part /backup/x.db',
    );
  });

  it('docker on the host: the offline restore runs the etcd image (3.5: etcdutl, bump kept) with the folders it needs', () => {
    const f = probe([
      'ctr_crictl=0123456789abc',
      'ctr_docker=1',
      'ctr_etcdctl_version=3.5.15',
      'ctr_image=registry.k8s.io/etcd:3.5.15-0',
    ]);
    const t = makeTools(m, f);
    const r = t.restore({ ...restore, dataDir: sh.raw('"$t"') });
    expect(r.script.text).toMatch(
      /^docker run --rm -i --network host -e ETCDCTL_API=3 -v \/backup:\/backup -v \/etc\/kubernetes\/pki\/etcd:\/etc\/kubernetes\/pki\/etcd -v \/var\/lib:\/var\/lib registry\.k8s\.io\/etcd:3\.5\.15-0 etcdutl snapshot restore \/backup\/s\.db --data-dir="\$t"/,
    );
    expect(r.script.text).toContain('--bump-revision=1000000000 --mark-compacted');
    expect(t.describe).toContain(
      'offline restore/status: etcdutl from the image: docker run --rm registry.k8s.io/etcd:3.5.15-0',
    );
    // When the etcd container is not running, etcdctl falls back to the image too.
    expect(t.etcdctl(sh`endpoint health`).text).toMatch(
      /else docker run --rm -i --network host .* registry\.k8s\.io\/etcd:3\.5\.15-0 etcdctl --endpoints=/,
    );
  });

  it('docker-run etcd: docker exec etcd while it runs, the image otherwise; 3.4 image restores with etcdctl', () => {
    const f = probe([
      'ctr_docker=1',
      'ctr_docker_etcd=1',
      'ctr_image=quay.io/coreos/etcd:v3.4.23',
      'ctr_etcdctl_version=3.4.23',
    ]);
    const t = makeTools(m, f);
    expect(t.describe).toMatch(
      /^etcdctl: not on the host: docker exec etcd \(docker run --rm quay\.io\/coreos\/etcd:v3\.4\.23 when it is not running\)/,
    );
    expect(t.etcdctl(sh`member list`).text).toMatch(
      /docker exec -i -e ETCDCTL_API=3 etcd etcdctl --endpoints=/,
    );
    const r = t.restore(restore);
    expect(r.script.text).toMatch(/quay\.io\/coreos\/etcd:v3\.4\.23 etcdctl snapshot restore/);
    expect(r.warnings.join()).toMatch(/revision not bumped/);
  });

  it('etcdctl on the host wins; nothing probed means the PATH is assumed', () => {
    expect(
      makeTools(m, probe(['etcdctl=/usr/bin/etcdctl', 'etcdctl_version=3.4.23'])).etcdctl(sh`x`).text,
    ).toMatch(/^ETCDCTL_API=3 \/usr\/bin\/etcdctl /);
    expect(makeTools(m, undefined).describe).toMatch(/assumed on PATH; --probe detects/);
  });
});
