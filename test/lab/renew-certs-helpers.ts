// Shared by the renew-certs lab tests: the certificates expire-certs re-signs on each host, read back with openssl, and
// the must-show checks after a run (same SANs, a year of validity, the old pair in certs-before-STAMP/).
import { basename, dirname } from 'node:path';
import { expect } from 'vitest';
import { labExec, type Lab } from '../../src/lab/index.js';
import { expirePlan } from '../../src/lab/expire.js';
import { keptFolder } from '../../src/steps/certs.js';
import { cli, readAuditEvents } from './runbook-helpers.js';

/** The files expire-certs re-signs on this member (the lab's layout for its mode). */
export const certsOn = (lab: Lab, name: string) =>
  expirePlan(
    lab.mode,
    lab.members.find((m) => m.name === name)!,
  ).certs.map((c) => c.crt);

/** notAfter (epoch ms) and SANs of a cert file, read inside the host. */
export async function certOf(
  lab: Lab,
  member: string,
  file: string,
): Promise<{ until: number; sans: string }> {
  const r = await labExec(
    lab,
    member,
    `openssl x509 -in '${file}' -noout -enddate | cut -d= -f2; openssl x509 -in '${file}' -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' '`,
  );
  expect(r.code, r.stderr).toBe(0);
  const [end = '', sans = ''] = r.stdout.split('\n');
  return { until: Date.parse(end), sans };
}

/** SANs of every cert expire-certs touches, by member:file. */
export async function sansOf(lab: Lab): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const m of lab.members)
    for (const f of certsOn(lab, m.name)) out.set(`${m.name}:${f}`, (await certOf(lab, m.name, f)).sans);
  return out;
}

interface Diag {
  certificates: Array<{ member: string; file: string; daysLeft: number }>;
  reasons: string[];
  cause: string;
  next: string;
}

/** diagnose fails, lists every expired certificate of every member, names them in one finding and renew-certs next. */
export async function expectDiagnoseNamesExpired(lab: Lab): Promise<void> {
  const bad = await cli(['diagnose', '-i', lab.inventoryPath, '-o', 'json']);
  expect(bad.code).not.toBe(0);
  const d = JSON.parse(bad.stdout) as Diag;
  let n = 0;
  for (const m of lab.members)
    for (const f of certsOn(lab, m.name)) {
      n++;
      const listed = d.certificates.find((c) => c.member === m.name && c.file === f && c.daysLeft < 0);
      expect(listed, `${m.name} ${f} in ${JSON.stringify(d.certificates)}`).toBeDefined();
    }
  expect(d.certificates.filter((c) => c.daysLeft < 0)).toHaveLength(n);
  const expired = d.reasons.filter((r) => r.startsWith('certificates expired'));
  expect(expired, JSON.stringify(d.reasons)).toHaveLength(1);
  expect(expired[0]).toContain(`on ${lab.members.map((m) => m.name).join(', ')} (`);
  expect(expired[0]).toMatch(/— run renew-certs$/);
  expect(d.cause).toBe('CERTIFICATES-EXPIRED');
  expect(d.next).toBe(`lifeboat run renew-certs -i ${lab.inventoryPath}`);
}

/** The run's stamp (it starts the run id): the old pairs are in certs-before-STAMP/. */
export function stampOf(runDir: string): string {
  const stamp = String(readAuditEvents(runDir)[0]?.runId ?? '').split('-')[0];
  expect(stamp).toMatch(/^\d{8}T\d{6}Z$/);
  return stamp ?? '';
}

/** Every cert has its SANs from before, about a year left, and its expired predecessor (and key) kept aside. */
export async function expectRenewed(lab: Lab, sansBefore: Map<string, string>, stamp: string): Promise<void> {
  for (const m of lab.members)
    for (const f of certsOn(lab, m.name)) {
      const c = await certOf(lab, m.name, f);
      expect(c.sans, `${m.name} ${f}`).toBe(sansBefore.get(`${m.name}:${f}`));
      const days = (c.until - Date.now()) / 86_400_000;
      expect(days, `${m.name} ${f}`).toBeGreaterThan(364);
      expect(days, `${m.name} ${f}`).toBeLessThan(366);
      const old = `${dirname(f)}/${keptFolder(stamp)}/${basename(f)}`;
      expect((await certOf(lab, m.name, old)).until, old).toBeLessThan(Date.now());
      const key =
        lab.mode === 'docker'
          ? basename(f).replace(/\.pem$/, '-key.pem')
          : basename(f).replace(/\.crt$/, '.key');
      expect(
        (await labExec(lab, m.name, `test -f '${dirname(f)}/${keptFolder(stamp)}/${key}'`)).code,
        key,
      ).toBe(0);
    }
}
