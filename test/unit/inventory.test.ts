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

describe('inventory values are parsed strictly (they reach shells on every member)', () => {
  const inv = (member: string, extra = '') =>
    `apiVersion: lifeboat/v1\ncluster: c\ntopology: static-pod\n${extra}members:\n  - ${member}\n  - {name: b, address: 10.0.0.2}\n`;
  const problems = (text: string) => {
    const r = parseInventory(text, 'i.yaml');
    return r.ok ? [] : r.problems;
  };

  it('refuses URLs with a path, query, user info, shell syntax or no port, naming the field', () => {
    for (const url of [
      'https://10.0.0.11:2380/$(touch X)',
      'https://10.0.0.11:2380/',
      'https://10.0.0.11:2380?x=1',
      'https://u:p@10.0.0.11:2380',
      'https://10.0.0.11:2380#f',
      'https://10.0.0.11',
      'ftp://10.0.0.11:2380',
      'https://$(id):2380',
      'https://10.0.0.11:2380`id`',
      "https://10.0.0.11:2380'; id; '",
    ]) {
      const p = problems(inv(`{name: a, address: 10.0.0.1, peerURL: ${JSON.stringify(url)}}`));
      expect(p.length, url).toBeGreaterThan(0);
      expect(p[0], url).toMatch(/^members\.0\.peerURL: /);
    }
    expect(problems(inv('{name: a, address: 10.0.0.1, peerURL: "https://etcd-a.example.com:2380"}'))).toEqual(
      [],
    );
    expect(problems(inv('{name: a, address: "fd00::1", clientURL: "https://[fd00::1]:2379"}'))).toEqual([]);
  });

  it('refuses addresses with ports or shell syntax, duplicate addresses and URLs, and paths that are not normal', () => {
    expect(problems(inv('{name: a, address: "10.0.0.11:2222"}'))[0]).toMatch(/^members\.0\.address: /);
    expect(problems(inv('{name: a, address: "$(id)"}'))[0]).toMatch(/^members\.0\.address: /);
    expect(problems(inv('{name: a, address: 10.0.0.2}'))).toEqual([
      "members.1.address: duplicate address '10.0.0.2' (also members[0])",
      "members.1.peerURL: duplicate peerURL 'https://10.0.0.2:2380' (also members[0])",
      "members.1.clientURL: duplicate clientURL 'https://10.0.0.2:2379' (also members[0])",
    ]);
    for (const dir of ['/../../etc/x/../..', 'var/lib/etcd', '/var//lib', '/var/lib/etcd/', '/var/lib\netcd'])
      expect(
        problems(inv('{name: a, address: 10.0.0.1}', `etcd: {dataDir: ${JSON.stringify(dir)}}\n`))[0],
        dir,
      ).toMatch(/^etcd\.dataDir: /);
  });
});
