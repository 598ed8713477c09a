import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cronJob, type CronJobOffsite } from '../../src/backup/cronjob.js';
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

  const AGE = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
  const offsite = (o: Partial<CronJobOffsite> = {}): CronJobOffsite => ({
    to: 's3://etcd-bk/prod',
    endpoint: 'http://127.0.0.1:9000',
    secret: 'etcd-backup-s3',
    image: 'uploader:1',
    recipients: [AGE],
    ...o,
  });
  const render = (inv: ReturnType<typeof loadInventory>, off: CronJobOffsite) =>
    parse(
      cronJob(inv, {
        schedule: '0 * * * *',
        image: 'etcd',
        namespace: 'kube-system',
        hostBackupDir: '/var/backups/etcd',
        retentionDays: 5,
        offsite: off,
      }),
    ) as { spec: { jobTemplate: { spec: { template: { spec: Record<string, any> } } } } };
  const inv2 = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-cron-s3-'));
    writeFileSync(
      join(dir, 'i.yaml'),
      'apiVersion: lifeboat/v1\ncluster: c1\ntopology: static-pod\nmembers:\n  - { name: cp-1, address: 10.0.0.1 }\n  - { name: cp-2, address: 10.0.0.2 }\n',
    );
    return { dir, inv: loadInventory(join(dir, 'i.yaml')) };
  };

  it('with an upload: snapshots in an init container, uploads from the upload image, credentials only by Secret reference', () => {
    const pod = render(inv2().inv, offsite()).spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['etcdctl']);
    const up = pod.containers[0];
    expect(up.image).toBe('uploader:1');
    const creds = up.env.filter((e: any) => e.name.startsWith('AWS_'));
    expect(creds.map((e: any) => e.name)).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
    ]);
    for (const e of creds) {
      expect(e.value).toBeUndefined();
      expect(e.valueFrom.secretKeyRef).toMatchObject({ name: 'etcd-backup-s3', key: e.name });
    }
    // Each script finds its folders through env equal to the mount paths (the lab test runs them with its own).
    for (const c of [...pod.initContainers, up]) {
      const env = Object.fromEntries(
        c.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]),
      );
      for (const m of c.volumeMounts.filter((v: any) => v.name !== 'pki'))
        expect(env[m.name === 'backup' ? 'BACKUP_DIR' : 'STAGING_DIR']).toBe(m.mountPath);
      expect(spawnSync('sh', ['-n', '-c', c.command[2]]).status).toBe(0);
    }
    expect(pod.volumes.find((v: any) => v.name === 'staging')).toEqual({ name: 'staging', emptyDir: {} });
    const script: string = up.command[2];
    expect(script).toContain(`age -r ${AGE}`);
    expect(script).toContain('--s3-env-auth');
    expect(script.indexOf('"$dest"/backup-manifest.json')).toBeGreaterThan(script.lastIndexOf('up "$f"'));
  });

  it('refuses a recipient that is no age or SSH key and a target that is no s3:// URL (exit 2)', () => {
    const { inv } = inv2();
    expect(() => render(inv, offsite({ recipients: ['$(touch /tmp/x)'] }))).toThrow(
      /neither an age X25519 key/,
    );
    expect(() => render(inv, offsite({ to: 's3://bk/$(id)' }))).toThrow(/is not s3:\/\/BUCKET/);
  });

  it('the upload script keeps hostile member and cluster names as data (stub tools, no marker)', () => {
    const { dir, inv: base } = inv2();
    const marker = join(dir, 'MARKER');
    const bad = [`$(touch ${marker})`, `\`touch ${marker}\``, `;touch ${marker};`, `\ntouch ${marker}\n`];
    const m = base.members[0]!;
    const inv = {
      ...base,
      cluster: `c1"'${bad[0]}`,
      members: bad.map((b, i) => ({ ...m, name: `cp-${i}${b}"` })),
    };
    const pod = render(inv, offsite({ endpoint: `http://127.0.0.1:9000` })).spec.jobTemplate.spec.template
      .spec;
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['etcdctl', 'chmod', 'find', 'rclone', 'age'])
      writeFileSync(join(bin, tool), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const staging = join(dir, 'staging');
    mkdirSync(staging);
    const env = { PATH: `${bin}:/usr/bin:/bin`, BACKUP_DIR: dir, STAGING_DIR: staging };
    for (const c of [...pod.initContainers, pod.containers[0]])
      spawnSync('sh', ['-c', c.command[2]], { cwd: dir, env });
    expect(existsSync(marker)).toBe(false);
  });
});
