// Redaction masks secret values and nothing else: the recorded command is the command that ran, values replaced.
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/secrets/redact.js';

const r = new Redactor();
describe('Redactor', () => {
  it.each([
    ['etcdctl --user=root:hunter2 get /', 'etcdctl --user=root:*** get /'],
    ['etcdctl --password=hunter2; echo ok', 'etcdctl --password=***; echo ok'],
    ["etcdctl --password 'hun ter2' get", "etcdctl --password '***' get"],
    ['ETCDCTL_PASSWORD="s3cret" etcdctl get', 'ETCDCTL_PASSWORD="***" etcdctl get'],
    ['curl -H "Authorization: Bearer abc.def-ghi"', 'curl -H "Authorization: Bearer ***"'],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      '-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----',
    ],
  ])('%s', (input, want) => expect(r.redact(input)).toBe(want));

  it('keeps the cluster token (not a secret) and the shell around it', () => {
    const cmd = 's#^ETCD_INITIAL_CLUSTER_TOKEN=.*#ETCD_INITIAL_CLUSTER_TOKEN=etcd-cluster-1#';
    expect(r.redact(cmd)).toBe(cmd);
    expect(r.redact('--initial-cluster-token=etcd-cluster-1')).toBe('--initial-cluster-token=etcd-cluster-1');
  });

  it('masks known secret values wherever they appear', () => {
    expect(new Redactor(['hunter2-x']).redact('echo hunter2-x')).toBe('echo ***');
  });
});
