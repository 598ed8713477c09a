import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../src/inventory/load.js';

describe('inventory', () => {
  it('reports every problem at once, each with its path', () => {
    const r = parseInventory(
      'apiVersion: lifeboat/v1\ncluster: x\ntopology: bad\nmembers:\n  - {name: CP_1, address: "a b"}\n  - {name: cp-2, address: 1.2.3.4, bogus: 1, ssh: {port: 70000}}\n',
      '/tmp/i.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        'topology',
        'members.0.name',
        'members.0.address',
        'members.1',
        'members.1.ssh.port',
      ]),
    );
  });

  it('fills kubeadm and systemd defaults, member values win over cluster defaults, paths resolve against the file', () => {
    const r = parseInventory(
      'apiVersion: lifeboat/v1\ncluster: c\ntopology: systemd\nssh: {user: admin, sudo: true, identityFile: k}\nmembers:\n  - {name: a, address: 10.0.0.1}\n  - {name: b, address: 10.0.0.2, ssh: {user: root, sudo: false}, etcd: {dataDir: /data/etcd}}\n',
      '/srv/inv/i.yaml',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [a, b] = r.inventory.members;
    expect(a).toMatchObject({
      peerURL: 'https://10.0.0.1:2380',
      clientURL: 'https://10.0.0.1:2379',
      dataDir: '/var/lib/etcd',
      config: '/etc/etcd/etcd.conf',
      ssh: { user: 'admin', sudo: true, port: 22 },
      tls: { ca: '/etc/etcd/ca.crt' },
    });
    expect(b).toMatchObject({ dataDir: '/data/etcd', ssh: { user: 'root', sudo: false, identityFile: 'k' } });
    expect(r.inventory.baseDir).toBe('/srv/inv');
  });

  it('rejects duplicate member names and a missing member list', () => {
    const dup = parseInventory(
      'apiVersion: lifeboat/v1\ncluster: c\ntopology: static-pod\nmembers:\n  - {name: a, address: 10.0.0.1}\n  - {name: a, address: 10.0.0.2}\n',
      'i.yaml',
    );
    expect(dup.ok ? [] : dup.problems).toEqual([
      "members.1.name: duplicate member name 'a' (also members[0])",
    ]);
    const none = parseInventory('apiVersion: lifeboat/v1\ncluster: c\ntopology: static-pod\n', 'i.yaml');
    expect(none.ok).toBe(false);
    expect(parseInventory('{{{', 'i.yaml')).toMatchObject({ ok: false });
  });
});
