// What a resumed run may believe from its run dir: the journal only from a verifying chain, the machine position only
// where the journal agrees, and nothing else of snapshot.json.
import { existsSync, statSync } from 'node:fs';
import { badInput } from '../../errors/error.js';
import { readAudit, verifyAudit, type AuditEntry } from './audit.js';
import { edges, type Compiled } from '../machine.js';
import type { JournalState } from './journal.js';

const HINT = 'nothing was run; restore the run dir from a copy, or start a new run';

/** The audit entries, only when the whole chain verifies (a forged or edited entry is refused, exit 2). */
export function verifiedEntries(path: string): AuditEntry[] {
  // A run that has not recorded its first entry yet has nothing to believe, and nothing approved.
  if (!existsSync(path) || statSync(path).size === 0) return [];
  const v = verifyAudit(path);
  if (!v.ok) throw badInput(`audit log ${path} does not verify at line ${v.line}: ${v.reason}`, HINT);
  return readAudit(path);
}

/** The position a finished step or a recorded decision leaves from: one edge ahead of the journal is a crash between
 *  persisting the machine and recording the transition. */
function oneAheadOk(compiled: Compiled, from: string, to: string, j: JournalState): boolean {
  return edges(compiled.machine).some((e) => {
    if (e.from !== from || e.to !== to) return false;
    if (e.event === 'ABORT') return false;
    if (e.event.startsWith('BRANCH.')) return j.decisions.get(from) === e.event.slice('BRANCH.'.length);
    const ended = j.steps.get(from)?.ended;
    return (e.event === 'DONE' && ended === 'done') || (e.event === 'SKIP' && ended === 'skipped');
  });
}

/** Rebuilds the actor's snapshot from snapshot.json's position after checking it against the journal. */
export function trustedSnapshot(
  compiled: Compiled,
  stored: { status: 'active' | 'done'; value: string } | undefined,
  entries: AuditEntry[],
  j: JournalState,
  file: string,
): object | undefined {
  if (stored === undefined) return undefined;
  const known = compiled.states.has(stored.value) || ['done', 'aborted', 'refused'].includes(stored.value);
  if (!known) throw badInput(`${file}: state ${stored.value} is not a state of this runbook`, HINT);
  const moves = entries.filter((e) => e.type === 'transition');
  const last = moves[moves.length - 1];
  const at = last && last.type === 'transition' ? last.to : compiled.initial;
  if (stored.value !== at && !oneAheadOk(compiled, at, stored.value, j))
    throw badInput(
      `${file}: the machine is at ${stored.value} but the audit log has it at ${at} (damaged or forged)`,
      HINT,
    );
  const final = !compiled.states.has(stored.value);
  return {
    status: final ? 'done' : 'active',
    value: stored.value,
    historyValue: {},
    context: {},
    children: {},
  };
}

/** Approvals only count up to the newest entry the members vouch for; a later one (forged, or not yet anchored when
 *  the run stopped) is asked for again. Without anchors configured (unit runs) the verified chain alone counts. */
export function distrustApprovals(
  j: JournalState,
  entries: AuditEntry[],
  upTo: number | undefined,
): JournalState {
  if (upTo === undefined) return j;
  j.approvals = new Set(entries.flatMap((e) => (e.type === 'approval' && e.seq <= upTo ? [e.stateId] : [])));
  return j;
}
