// Entry gates on the lab: with every etcd certificate expired (TLS fails, members look down), recover-quorum refuses
// with exit 2, names renew-certs with its command line, and changes nothing on any host.
import { describe, expect, it } from 'vitest';
import { labBreak, labExec, type Lab } from '../../src/lab/index.js';
import { cli, expectCode, oneLab } from './runbook-helpers.js';

let lab: Lab;
oneLab('gates', { members: 3, mode: 'static-pod' }, (made) => (lab = made));

/** What a run would change on each host: data dirs, manifests, the backup dir (lock, saved snapshots). */
const hostState = () =>
  Promise.all(
    lab.members.map(
      async (m) =>
        (
          await labExec(
            lab,
            m.name,
            'ls -la --time-style=+%s /var/lib /var/lib/etcd /etc/kubernetes/manifests /backup 2>&1',
          )
        ).stdout,
    ),
  );

describe('entry gates', () => {
  it('expired certificates: run recover-quorum --yes exits 2 naming renew-certs, nothing changed', async () => {
    await labBreak(lab, 'expire-certs');
    const before = await hostState();
    const r = await cli(['run', 'recover-quorum', '-i', lab.inventoryPath, '--yes']);
    expectCode(r, 2);
    expect(r.stderr).toMatch(/certificates are expired on cp-1, cp-2, cp-3/);
    expect(r.stderr).toContain(`lifeboat run renew-certs -i ${lab.inventoryPath}`);
    expect(r.stderr).not.toMatch(/run dir:/);
    expect(await hostState()).toEqual(before);
  });

  it('diagnose: the cause in the headline, one finding for the expired certificates, renew-certs next', async () => {
    const r = await cli(['diagnose', '-i', lab.inventoryPath]);
    expectCode(r, 3);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/: CERTIFICATES-EXPIRED \(QUORUM-LOST\) — /);
    expect(lines.filter((l) => /certificates expired/.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toBe(`Next: lifeboat run renew-certs -i ${lab.inventoryPath}`);
  });

  it('diagnose after renew-certs and a lost quorum: recover-quorum next', async () => {
    expectCode(await cli(['run', 'renew-certs', '-i', lab.inventoryPath, '--yes']), 0);
    await labBreak(lab, 'lose-quorum');
    const r = await cli(['diagnose', '-i', lab.inventoryPath, '-o', 'json']);
    expectCode(r, 3);
    const d = JSON.parse(r.stdout) as { cause: string; next: string };
    expect(d.cause).toBe('QUORUM-LOST');
    expect(d.next).toBe(`lifeboat run recover-quorum -i ${lab.inventoryPath}`);
  });
});
