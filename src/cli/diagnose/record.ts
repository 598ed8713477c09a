// The diagnose table recorded in a run's audit log before it starts and after it ends: the report's facts before/after.
import { diagnose } from '../../etcd/diagnose.js';
import type { Facts } from '../../etcd/facts.js';
import type { LeftBehind, RunEvent } from '../../engine/events.js';
import { gatherFacts } from '../../etcd/probe.js';
import type { Executor } from '../../shell/executor.js';
import type { Inventory } from '../../inventory/resolve.js';
import { diagnosisText } from './index.js';

const LIMIT_MS = 90_000;

/** Read-only; a diagnosis that fails or takes too long becomes a warning, never a failed run. */
export async function diagnosisEvent(
  inv: Inventory,
  ex: Executor,
  when: 'before' | 'after',
  /** Facts just probed (the run's own), so they are not read twice. */
  facts?: Facts,
  /** What the run left stopped or changed: etcd may answer while these are down, so never "healthy" then. */
  left: LeftBehind[] = [],
): Promise<RunEvent> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${LIMIT_MS / 1000} s`)), LIMIT_MS);
    timer.unref();
  });
  try {
    const read = facts ? Promise.resolve(facts) : gatherFacts(inv, ex, new Date());
    const d = await Promise.race([read.then((f) => diagnose(inv, f, ex)), late]);
    return withLeftBehind({ type: 'diagnosis', when, verdict: d.verdict, text: diagnosisText(d) }, left);
  } catch (err) {
    return { type: 'warning', message: `diagnose ${when} the run failed: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Diagnose reads etcd only: what the run left stopped (an API server, a member) makes a healthy verdict degraded. */
export function withLeftBehind(
  d: Extract<RunEvent, { type: 'diagnosis' }>,
  left: LeftBehind[],
): Extract<RunEvent, { type: 'diagnosis' }> {
  const stopped = left.filter((l) => l.what.startsWith('stopped'));
  if (stopped.length === 0) return d;
  const lines = stopped.map((l) => `  ${l.member}: ${l.what} (${l.stateId})`);
  return {
    ...d,
    verdict: d.verdict === 'healthy' ? 'degraded' : d.verdict,
    text: `${d.text}\nLeft stopped by this run (not seen by diagnose, which reads etcd):\n${lines.join('\n')}`,
  };
}
