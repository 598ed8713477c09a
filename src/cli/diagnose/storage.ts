// diagnose's text for space and alarms: one line per member, then notes that do not change the verdict.
import type { Diagnosis } from '../../etcd/diagnose.js';
import { kib } from '../../etcd/storage.js';

export function storageLines(d: Diagnosis): string[] {
  if (!d.storage.length) return [];
  const alarmsOf = (n: string) =>
    d.alarms
      .filter((a) => a.member === n)
      .map((a) => a.alarm)
      .join(',');
  return [
    '',
    'space:',
    ...d.storage.map((s) =>
      [
        `  ${s.member}`,
        `db ${kib(s.dbSize)}`,
        `in use ${s.inUse === undefined ? '?' : kib(s.inUse)}`,
        `quota ${kib(s.quota)}${s.quotaFrom === 'default' ? ' (assumed default)' : ''}`,
        `used ${s.usedPct} %`,
        `fragmentation ${s.fragmentationPct === undefined ? '?' : `${s.fragmentationPct} %`}`,
        `alarms ${alarmsOf(s.member) || 'none'}`,
      ].join('  '),
    ),
  ];
}

export function notes(d: Diagnosis): string[] {
  const info = d.findings.filter((f) => f.severity === 'info');
  return info.length
    ? ['', 'notes:', ...info.map((f) => `  - ${f.message}${f.runbook ? ` — consider ${f.runbook}` : ''}`)]
    : [];
}

export function certLines(d: Diagnosis): string[] {
  if (!d.certificates.length) return [];
  return [
    '',
    'certificates:',
    ...d.certificates.map(
      (c) =>
        `  ${c.member}  ${c.file}  ${c.role}  until ${c.notAfter.slice(0, 10)}  ` +
        `${c.daysLeft < 0 ? 'EXPIRED' : `${c.daysLeft} days left`}`,
    ),
  ];
}
