// diagnose's next move: the cause that explains the others first, and the command line that deals with it.
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../src/etcd/diagnose.js';
import { nextLine, nextMove } from '../../src/etcd/next.js';

const base: Diagnosis = {
  cluster: 'unit',
  verdict: 'healthy',
  reasons: [],
  quorum: { total: 3, healthy: 3, needed: 2, lost: false },
  facts: { probed: true, members: {} },
  consistency: [],
  disagreeing: [],
  alarms: [],
  storage: [],
  certificates: [],
  findings: [],
};
const expired = {
  member: 'cp-1',
  file: '/etc/kubernetes/pki/etcd/server.crt',
  role: 'server' as const,
  notAfter: '2026-01-01T00:00:00.000Z',
  daysLeft: -3,
  sans: [],
};
const lost = { ...base, verdict: 'quorum-lost' as const, quorum: { ...base.quorum, healthy: 0, lost: true } };

describe('diagnose next move', () => {
  it('expired certificates come before the lost quorum they cause', () => {
    const move = nextMove({ ...lost, certificates: [expired] });
    expect(move).toEqual({ cause: 'CERTIFICATES-EXPIRED', runbook: 'renew-certs' });
    expect(nextLine(move, "'/srv/my inv.yaml'")).toBe("lifeboat run renew-certs -i '/srv/my inv.yaml'");
  });

  it('a lost quorum names recover-quorum; NOSPACE free-space; a finding its runbook with its --set', () => {
    expect(nextMove(lost).runbook).toBe('recover-quorum');
    const full = { ...base, verdict: 'degraded' as const, alarms: [{ member: 'cp-2', alarm: 'NOSPACE' }] };
    expect(nextMove(full)).toEqual({ cause: 'NOSPACE', runbook: 'free-space' });
    const finding = {
      severity: 'warning' as const,
      message: 'cp-3 differs',
      runbook: 'replace-member --set failed=cp-3',
    };
    const move = nextMove({ ...base, verdict: 'degraded', findings: [finding] });
    expect(nextLine(move, 'inv.yaml')).toBe('lifeboat run replace-member -i inv.yaml --set failed=cp-3');
  });

  it('a healthy cluster: nothing to do', () => {
    expect(nextLine(nextMove(base), 'inv.yaml')).toBe('nothing to do');
  });
});
