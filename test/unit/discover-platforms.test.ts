// discover's readers on captured host output; the docker adapter's argument edit and the k3s unit edit, run by sh.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readHost } from '../../src/discover/read.js';
import { parseTargets } from '../../src/discover/index.js';
import { editArgs } from '../../src/platform/docker.js';
import { setDatastoreEndpoint } from '../../src/platform/k3s.js';

const out = (sections: Record<string, string>) =>
  Object.entries(sections)
    .map(([k, v]) => `@@lifeboat:${k}@@\n${v}`)
    .join('\n') + '\n@@lifeboat:end@@\n';
const sh = (script: string, input: string) => execFileSync('sh', ['-c', script], { input, encoding: 'utf8' });

describe('discover: reading a host', () => {
  it('static pod: flags from the manifest, data dir through its hostPath, kubeadm healthcheck-client cert', () => {
    const manifest = `apiVersion: v1
kind: Pod
spec:
  containers:
  - name: etcd
    command:
    - etcd
    - --name=m1
    - --data-dir=/var/lib/etcd
    - --initial-advertise-peer-urls=https://10.0.0.1:2380
    - --advertise-client-urls=https://10.0.0.1:2379
    - --initial-cluster=m1=https://10.0.0.1:2380
    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
  volumes:
  - hostPath:
      path: /mnt/disk/etcd
    name: etcd-data
`;
    const h = readHost(
      out({
        hostname: 'm1',
        'manifest /etc/kubernetes/manifests/etcd.yaml': manifest,
        'kubeadm-healthcheck-client': 'yes',
      }),
    )!;
    expect(h.topology).toBe('static-pod');
    expect(h.flags.get('name')?.value).toBe('m1');
    expect(h.dataDir).toEqual({
      value: '/mnt/disk/etcd',
      from: '/etc/kubernetes/manifests/etcd.yaml (hostPath volume etcd-data at /var/lib/etcd)',
    });
    expect(h.tls?.cert.value).toBe('/etc/kubernetes/pki/etcd/healthcheck-client.crt');
  });

  it('systemd: etcd.conf, overridden by a drop-in Environment= and by ExecStart flags', () => {
    const unit = `# /usr/lib/systemd/system/etcd.service
[Service]
EnvironmentFile=-/etc/etcd/etcd.conf
ExecStart=/usr/bin/etcd --initial-cluster-state existing

# /etc/systemd/system/etcd.service.d/90-lifeboat-force-new-cluster.conf
[Service]
Environment=ETCD_FORCE_NEW_CLUSTER=true "ETCD_DATA_DIR=/data/etcd"
`;
    const conf =
      'ETCD_NAME=e1\nETCD_DATA_DIR=/var/lib/etcd\nETCD_INITIAL_CLUSTER_STATE=new\nETCD_TRUSTED_CA_FILE="/etc/etcd/ca.crt"\nETCD_PEER_CERT_FILE=/etc/etcd/peer.crt\nETCD_PEER_KEY_FILE=/etc/etcd/peer.key\n';
    const h = readHost(out({ hostname: 'e1', 'etcd-unit': unit, 'envfile /etc/etcd/etcd.conf': conf }))!;
    expect(h.topology).toBe('systemd');
    expect(h.dataDir).toEqual({
      value: '/data/etcd',
      from: 'Environment= in /etc/systemd/system/etcd.service.d/90-lifeboat-force-new-cluster.conf',
    });
    expect(h.flags.get('initial-cluster-state')).toEqual({
      value: 'existing',
      from: 'ExecStart in /usr/lib/systemd/system/etcd.service',
    });
    expect(h.tls?.ca.value).toBe('/etc/etcd/ca.crt');
    expect(h.notes).toContain('--force-new-cluster is set for the next start');
    expect(h.configPath?.value).toBe('/etc/etcd/etcd.conf');
  });

  it('k3s-external: the k3s unit with --datastore-endpoint on a continuation line', () => {
    const k3s =
      "# /etc/systemd/system/k3s.service\n[Service]\nExecStart=/usr/local/bin/k3s \\\n    server \\\n        '--datastore-endpoint' \\\n        'http://192.168.123.103:2379' \\\n        '--tls-san=192.168.123.90'\n";
    const h = readHost(
      out({
        hostname: 'e1',
        'etcd-unit': '[Service]\nEnvironmentFile=/etc/etcd/etcd.conf\n',
        'envfile /etc/etcd/etcd.conf': 'ETCD_NAME=e1\n',
        'k3s-unit': k3s,
      }),
    )!;
    expect(h.topology).toBe('k3s-external');
    expect(h.datastore).toEqual({
      value: 'http://192.168.123.103:2379',
      from: '--datastore-endpoint in /etc/systemd/system/k3s.service',
    });
  });

  it('docker: .Args flags, container paths mapped to the host through .Mounts', () => {
    const inspect = JSON.stringify([
      {
        Path: '/usr/local/bin/etcd',
        Args: [
          '--name=machine-1',
          '--data-dir',
          '/data/etcd',
          '--trusted-ca-file=/etc/kubernetes/ssl/kube-ca.pem',
          '--cert-file=/etc/kubernetes/ssl/e.pem',
          '--key-file=/etc/kubernetes/ssl/e-key.pem',
        ],
        Config: { Image: 'wbuntu/etcd:3.5.15', Env: [] },
        Mounts: [
          {
            Type: 'volume',
            Name: 'etcd-data',
            Source: '/var/lib/docker/volumes/etcd-data/_data',
            Destination: '/data',
          },
          { Type: 'bind', Source: '/etc/kubernetes/ssl', Destination: '/etc/kubernetes/ssl' },
        ],
        State: { Running: false },
      },
    ]);
    const h = readHost(out({ hostname: 'machine-1', 'docker-etcd': inspect }))!;
    expect(h.topology).toBe('docker');
    expect(h.dataDir?.value).toBe('/var/lib/docker/volumes/etcd-data/_data/etcd');
    expect(h.dataDir?.from).toMatch(
      /volume etcd-data \/var\/lib\/docker\/volumes\/etcd-data\/_data at \/data/,
    );
    expect(h.tls?.key.value).toBe('/etc/kubernetes/ssl/e-key.pem');
    expect(h.notes).toContain('the etcd container is not running');
  });

  it('nothing etcd-like: undefined; bad --ssh targets are usage errors', () => {
    expect(readHost(out({ hostname: 'x' }))).toBeUndefined();
    expect(parseTargets('root@a,ops@b:2222')).toEqual([
      { user: 'root', host: 'a', port: 22, spec: 'root@a' },
      { user: 'ops', host: 'b', port: 2222, spec: 'ops@b:2222' },
    ]);
    expect(() => parseTargets('a')).toThrow(/is not USER@HOST/);
    expect(() => parseTargets('r@a,r@a')).toThrow(/given twice/);
  });
});

describe('adapters: edits run by sh', () => {
  it('docker: flags replaced in either form, removed, appended; other arguments untouched', () => {
    const args =
      '--name=m1\n--initial-cluster\nm1=https://a:2380\n--initial-cluster-state=new\n--force-new-cluster\n--data-dir=/d\n';
    const got = sh(
      `${editArgs({ 'initial-cluster': 'm1=https://a:2380,m2=https://b:2380', 'initial-cluster-state': 'existing', 'force-new-cluster': null })} /dev/stdin`,
      args,
    );
    expect(got).toBe(
      '--name=m1\n--data-dir=/d\n--initial-cluster=m1=https://a:2380,m2=https://b:2380\n--initial-cluster-state=existing\n',
    );
  });

  it('k3s: --datastore-endpoint set in all three unit forms, quotes kept', () => {
    const set = (text: string) =>
      sh(`${setDatastoreEndpoint('https://n1:2379,https://n2:2379')} /dev/stdin`, text);
    expect(
      set(
        "ExecStart=/usr/local/bin/k3s \\\n    server \\\n        '--datastore-endpoint' \\\n        'http://192.168.123.103:2379' \\\n        '--tls-san=x'\n",
      ),
    ).toContain("        'https://n1:2379,https://n2:2379' \\\n        '--tls-san=x'");
    expect(set('ExecStart=/usr/local/bin/k3s server --datastore-endpoint=https://a:2379 --token t\n')).toBe(
      'ExecStart=/usr/local/bin/k3s server --datastore-endpoint=https://n1:2379,https://n2:2379 --token t\n',
    );
    expect(set('ExecStart=/usr/local/bin/k3s server --datastore-endpoint "https://a:2379" --token t\n')).toBe(
      'ExecStart=/usr/local/bin/k3s server --datastore-endpoint "https://n1:2379,https://n2:2379" --token t\n',
    );
  });
});
