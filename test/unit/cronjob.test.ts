import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
});
