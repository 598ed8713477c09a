import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cronJob } from '../../src/backup/cronjob.js';
import { loadInventory } from '../../src/inventory/load.js';

describe('backup schedule --emit cronjob', () => {
  it('snapshots every member from the control plane, with the PKI and backup dir as hostPath and retention', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-cron-'));
    writeFileSync(
      join(dir, 'i.yaml'),
      'apiVersion: lifeboat/v1\ncluster: c1\ntopology: static-pod\nmembers:\n  - { name: cp-1, address: 10.0.0.1 }\n  - { name: cp-2, address: 10.0.0.2 }\n',
    );
    const text = cronJob(loadInventory(join(dir, 'i.yaml')), {
      schedule: '0 * * * *',
      image: 'registry.k8s.io/etcd:3.5.15-0',
      namespace: 'kube-system',
      hostBackupDir: '/var/backups/etcd',
      retentionDays: 5,
    });
    const doc = parse(text) as {
      kind: string;
      spec: { schedule: string; jobTemplate: { spec: { template: { spec: Record<string, any> } } } };
    };
    expect(doc.kind).toBe('CronJob');
    expect(doc.spec.schedule).toBe('0 * * * *');
    const pod = doc.spec.jobTemplate.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'node-role.kubernetes.io/control-plane': '' });
    expect(pod.hostNetwork).toBe(true);
    expect(pod.volumes.map((v: any) => v.hostPath.path)).toEqual([
      '/etc/kubernetes/pki/etcd',
      '/var/backups/etcd',
    ]);
    const script: string = pod.containers[0].command[2];
    expect(script).toContain('--endpoints=https://10.0.0.1:2379 snapshot save');
    expect(script).toContain('--endpoints=https://10.0.0.2:2379 snapshot save');
    expect(script).toContain('-mtime +5');
    expect(spawnSync('sh', ['-n', '-c', script]).status).toBe(0);
  });

  it('puts hostile inventory values into the script and the YAML as data, never as code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-cron-taint-'));
    const marker = join(dir, 'MARKER');
    const bad = [`$(touch ${marker})`, `\`touch ${marker}\``, `;touch ${marker};`, `\ntouch ${marker}\n`];
    writeFileSync(
      join(dir, 'i.yaml'),
      'apiVersion: lifeboat/v1\ncluster: c1\ntopology: static-pod\nmembers:\n  - { name: cp-1, address: 10.0.0.1 }\n',
    );
    const base = loadInventory(join(dir, 'i.yaml'));
    const m = base.members[0]!;
    const inv = {
      ...base,
      cluster: `c1\nkind: Secret${bad[0]}`,
      members: bad.map((b, i) => ({ ...m, name: `cp-${i}${b}`, clientURL: `https://10.0.0.1:2379/${b}` })),
    };
    const text = cronJob(inv, {
      schedule: '0 * * * *',
      image: 'etcd',
      namespace: 'kube-system',
      hostBackupDir: '/var/backups/etcd',
      retentionDays: 5,
    });
    const doc = parse(text) as { kind: string; metadata: { name: string }; spec: any };
    expect(doc.kind).toBe('CronJob');
    expect(doc.metadata.name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    const script: string = doc.spec.jobTemplate.spec.template.spec.containers[0].command[2];
    expect(spawnSync('sh', ['-n', '-c', script]).status).toBe(0);
    // Stub tools that accept anything: only the script's own syntax could run the marker command.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['etcdctl', 'chmod', 'find', 'date']) {
      writeFileSync(join(bin, tool), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    }
    spawnSync('sh', ['-c', script], { cwd: dir, env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(existsSync(marker)).toBe(false);
  });
});
