// The real control plane's files: the pinned version read from the wrapper module, kubeadm-like manifests bound to the
// host's address, the EncryptionConfiguration, and a fixture set that holds every kind the tests list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { encryptionConfig, realApiserverManifest, realComponentManifest } from '../../src/lab/kube.js';
import { kubeBinDir, kubernetesVersion } from '../../src/lab/kubebin.js';
import { SEEDED_KINDS, SEED_LABEL, seedFixtures } from '../../src/lab/seed-kube.js';
import type { LabMember } from '../../src/lab/types.js';

const m: LabMember = {
  name: 'cp-2',
  address: '127.0.9.12',
  clientURL: 'https://127.0.9.12:2379',
  peerURL: 'https://127.0.9.12:2380',
  hostDir: '/x',
};
const flagsOf = (yaml: string) =>
  (parseYaml(yaml) as { spec: { containers: Array<{ command: string[] }> } }).spec.containers[0]!.command;
const plural = (kind: string) => {
  const k = kind.toLowerCase();
  return k.endsWith('y') ? `${k.slice(0, -1)}ies` : k.endsWith('s') ? `${k}es` : `${k}s`;
};

describe('real control plane files', () => {
  it('pins one version: the wrapper module requires k8s.io/kubernetes at it and replaces staging at v0.Y.Z', () => {
    const v = kubernetesVersion();
    expect(v).toMatch(/^v1\.\d+\.\d+$/);
    const mod = readFileSync(join(import.meta.dirname, '../../scripts/gobuild/kubernetes/go.mod'), 'utf8');
    const staging = `v0.${v.slice(3)}`;
    const replaces = [...mod.matchAll(/^\tk8s\.io\/(\S+) => k8s\.io\/(\S+) (\S+)$/gm)];
    expect(replaces.length).toBeGreaterThan(20);
    expect(replaces.filter((r) => r[1] !== r[2] || r[3] !== staging)).toEqual([]);
    expect(kubeBinDir(v)).toMatch(new RegExp(`/kubernetes/${v.replace(/\./g, '\\.')}$`));
  });

  it('kube-apiserver: the host address only, its own etcd member, Secrets encrypted, lease reconciler', () => {
    const f = flagsOf(realApiserverManifest(m, 'v1.36.3'));
    expect(f[0]).toBe('kube-apiserver');
    for (const want of [
      '--bind-address=127.0.9.12',
      '--advertise-address=127.0.9.12',
      '--etcd-servers=https://127.0.9.12:2379',
      '--endpoint-reconciler-type=lease',
      '--encryption-provider-config=/etc/kubernetes/encryption/config.yaml',
      '--authorization-mode=Node,RBAC',
    ])
      expect(f).toContain(want);
  });

  it('controller-manager and scheduler: leader election, serving on the host address (hosts share a network)', () => {
    for (const c of ['kube-controller-manager', 'kube-scheduler'] as const) {
      const f = flagsOf(realComponentManifest(c, m, 'v1.36.3'));
      expect(f).toContain('--leader-elect=true');
      expect(f).toContain('--bind-address=127.0.9.12');
      // A controller-manager that loses its lease exits: the kubelet (stand-in too) starts it again.
      const pod = parseYaml(realComponentManifest(c, m, 'v1.36.3')) as { spec: { restartPolicy: string } };
      expect(pod.spec.restartPolicy).toBe('Always');
    }
  });

  it('EncryptionConfiguration: aescbc writes Secrets, secretbox and identity still read', () => {
    const e = parseYaml(encryptionConfig(Buffer.alloc(32, 1), Buffer.alloc(32, 2))) as {
      resources: Array<{ resources: string[]; providers: Array<Record<string, unknown>> }>;
    };
    expect(e.resources[0]!.resources).toEqual(['secrets']);
    expect(e.resources[0]!.providers.map((p) => Object.keys(p)[0])).toEqual([
      'aescbc',
      'secretbox',
      'identity',
    ]);
  });

  it('the fixture set holds every kind the tests list, each object labelled', () => {
    const f = seedFixtures();
    const docs = [f.crd, f.objects].flatMap((t) =>
      parseAllDocuments(t).map(
        (d) => d.toJS() as { kind: string; metadata: { labels: Record<string, string> } },
      ),
    );
    expect(docs.filter((d) => d.metadata.labels[SEED_LABEL] !== 'true')).toEqual([]);
    const have = new Set(docs.map((d) => plural(d.kind)));
    expect(SEEDED_KINDS.filter((k) => !have.has(k.split('.')[0]!))).toEqual([]);
    expect([...have].filter((k) => !SEEDED_KINDS.some((s) => s.split('.')[0] === k))).toEqual([]);
  });
});
