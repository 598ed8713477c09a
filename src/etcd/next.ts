// The next move after a diagnosis: the cause that explains the rest first (expired certificates make members look
// down, so they come before a lost quorum), and the runbook that deals with it.
import type { Diagnosis } from './diagnose.js';

export interface NextMove {
  /** What is wrong, in the headline's words: CERTIFICATES-EXPIRED, QUORUM-LOST, NOSPACE, DEGRADED or HEALTHY. */
  cause: string;
  /** The runbook (with its --set values) that deals with it; absent when nothing fits or nothing is wrong. */
  runbook?: string;
}

/** Causes in the order one explains the next; the first that holds is the headline and names the runbook. */
export function nextMove(d: Diagnosis): NextMove {
  if (d.certificates.some((c) => c.daysLeft < 0))
    return { cause: 'CERTIFICATES-EXPIRED', runbook: 'renew-certs' };
  if (d.certificates.some((c) => c.notBefore !== undefined))
    return { cause: 'CERTIFICATES-NOT-YET-VALID', runbook: 'renew-certs' };
  if (d.verdict === 'quorum-lost') return { cause: 'QUORUM-LOST', runbook: 'recover-quorum' };
  if (d.alarms.some((a) => a.alarm === 'NOSPACE')) return { cause: 'NOSPACE', runbook: 'free-space' };
  if (d.verdict === 'healthy') return { cause: 'HEALTHY' };
  // Any other finding (the first warning that names a runbook, in diagnose's order; hazards add theirs there).
  const fits = d.findings.find((f) => f.severity === 'warning' && f.runbook);
  return fits?.runbook ? { cause: 'DEGRADED', runbook: fits.runbook } : { cause: 'DEGRADED' };
}

/** The last line: the command to run next, or that there is nothing to do. */
export function nextLine(move: NextMove, inventory: string): string {
  if (move.runbook) {
    const [id, ...sets] = move.runbook.split(' ');
    return `lifeboat run ${id} -i ${inventory}${sets.length ? ` ${sets.join(' ')}` : ''}`;
  }
  return move.cause === 'HEALTHY' ? 'nothing to do' : 'no runbook fits: read the findings above';
}
