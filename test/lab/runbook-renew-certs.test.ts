// renew-certs on the lab: every etcd certificate re-signed already expired (lab break expire-certs) -> diagnose names each
// and etcd fails -> renew-certs --yes -> diagnose 0, same SANs, a year of validity, old files kept; kill -9 mid-renew.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labExec, labUp, type Lab } from '../../src/lab/index.js';
import { EXPIRED_CERTS } from '../../src/lab/expire.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  labEtcdVersion,
  readAuditEvents,
} from './runbook-helpers.js';

let lab: Lab;
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-rc-'));
beforeAll(async () => {
  lab = await labUp({
    dir: join(dir, 'lab'),
    members: 3,
    mode: 'static-pod',
    seedData: true,
    etcdVersion: labEtcdVersion(),
  });
});
afterAll(async () => {
  await labDown(join(dir, 'lab')).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** notAfter (epoch ms) and SANs of a cert file, read inside the host. */
async function certOf(member: string, file: string): Promise<{ until: number; sans: string }> {
  const r = await labExec(
    lab,
    member,
    `openssl x509 -in '${file}' -noout -enddate | cut -d= -f2; openssl x509 -in '${file}' -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' '`,
  );
  expect(r.code, r.stderr).toBe(0);
  const [end = '', sans = ''] = r.stdout.split('\n');
  return { until: Date.parse(end), sans };
}

interface Diag {
  certificates: Array<{ member: string; file: string; daysLeft: number }>;
  reasons: string[];
}

describe('renew-certs, static-pod', () => {
  it('expired certificates: diagnose names each, renew-certs re-issues them with the same SANs for a year', async () => {
    const want = await clusterValues(lab);
    const sansBefore = new Map<string, string>();
    for (const m of lab.members)
      for (const f of EXPIRED_CERTS) sansBefore.set(`${m.name}:${f}`, (await certOf(m.name, f)).sans);
    await labBreak(lab, 'expire-certs');

    const bad = await cli(['diagnose', '-i', lab.inventoryPath, '-o', 'json']);
    expect(bad.code).not.toBe(0);
    const d = JSON.parse(bad.stdout) as Diag;
    for (const m of lab.members)
      for (const f of EXPIRED_CERTS)
        expect(d.reasons, `${m.name} ${f}`).toContain(
          d.reasons.find(
            (r) => r.startsWith(`${m.name}: ${f} expired on `) && r.endsWith('— run renew-certs'),
          ),
        );
    expect(d.certificates.filter((c) => c.daysLeft < 0)).toHaveLength(
      lab.members.length * EXPIRED_CERTS.length,
    );

    const runDir = join(dir, 'run');
    expectCode(await cli(['run', 'renew-certs', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir]), 0);
    const ok = await cli(['diagnose', '-i', lab.inventoryPath]);
    expectCode(ok, 0);
    // The run's stamp starts its id: the old files are NAME.before-STAMP.
    const stamp = String(readAuditEvents(runDir)[0]?.runId ?? '').split('-')[0];
    expect(stamp).toMatch(/^\d{8}T\d{6}Z$/);
    for (const m of lab.members)
      for (const f of EXPIRED_CERTS) {
        const c = await certOf(m.name, f);
        expect(c.sans, `${m.name} ${f}`).toBe(sansBefore.get(`${m.name}:${f}`));
        const days = (c.until - Date.now()) / 86_400_000;
        expect(days, `${m.name} ${f}`).toBeGreaterThan(364);
        expect(days, `${m.name} ${f}`).toBeLessThan(366);
        const old = await certOf(m.name, `${f}.before-${stamp}`);
        expect(old.until, `${m.name} ${f}.before-${stamp}`).toBeLessThan(Date.now());
      }
    await expectHealthyCluster(lab);
    expectSameData(await clusterValues(lab), want);
  });

  it('kill -9 right after the second member was renewed, then resume: the same healthy result', async () => {
    const want = await clusterValues(lab);
    await labBreak(lab, 'expire-certs');
    const runDir = join(dir, 'run-killed');
    const killed = await cli(
      ['run', 'renew-certs', '-i', lab.inventoryPath, '--yes', '--run-dir', runDir],
      170_000,
      { LIFEBOAT_FAILPOINT: `after-cmd:renew/renew/${lab.members[1]!.name}/0` },
    );
    expect(killed.code).not.toBe(0);
    expect(readAuditEvents(runDir).some((e) => e.type === 'run.end')).toBe(false);
    expectCode(await cli(['resume', runDir, '--yes']), 0);
    expect(readAuditEvents(runDir).at(-1)).toMatchObject({ type: 'run.end', status: 'done' });
    expectCode(await cli(['diagnose', '-i', lab.inventoryPath]), 0);
    await expectHealthyCluster(lab);
    expectSameData(await clusterValues(lab), want);
  });
});
