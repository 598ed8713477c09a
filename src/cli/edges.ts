// The edges of a run: SSH executor, clock, prompter, renderers, redactor — wired from CLI flags.
import { systemClock } from '../engine/clock.js';
import { Redactor } from '../secrets/redact.js';
import type { RunEvent } from '../engine/events.js';
import type { Listener } from '../engine/ports.js';
import type { EngineDeps } from '../engine/runner.js';
import type { Plan } from '../engine/plan.js';
import { failpointFromEnv } from '../engine/failpoint.js';
import { operatorName } from '../session/running.js';
import type { Inventory } from '../inventory/resolve.js';
import { jsonRenderer } from '../render/json.js';
import { plainRenderer } from '../render/plain.js';
import { SshExecutor } from '../ssh/index.js';
import { makePrompter } from './prompter.js';
import { diagnosisEvent } from './diagnose/record.js';

export type OutputMode = 'auto' | 'text' | 'json';

/** `showPlan` tells the terminal progress the plan (step N of M, the phase); `settled` waits for its last line. */
export async function makeDeps(
  inv: Inventory,
  o: { output: OutputMode; acceptNewHostKeys: boolean; verbose?: boolean },
): Promise<EngineDeps & { showPlan: (p: Plan, startedAt?: number) => void; settled: () => Promise<void> }> {
  // Refused before anything is opened: a failpoint against a real cluster is a mistake, not a test.
  const failpoint = failpointFromEnv(
    process.env,
    inv.members.map((m) => m.address),
    () => process.kill(process.pid, 'SIGKILL') as never,
  );
  const accepted: RunEvent[] = [];
  const listeners: Listener[] = [];
  let idle = async () => undefined as void;
  let showPlan: (p: Plan, startedAt?: number) => void = () => undefined;
  if (o.output === 'json') listeners.push(jsonRenderer());
  else if (o.output === 'auto' && process.stderr.isTTY && process.env.CI !== 'true') {
    // listr2 loads only for a terminal: plain and json output (scripts, CI, tests) start without it.
    const { ttyRenderer } = await import('../render/tty.js');
    const t = ttyRenderer({ verbose: o.verbose === true });
    listeners.push(t.listener);
    idle = t.idle;
    showPlan = t.showPlan;
  } else listeners.push(plainRenderer());
  const executor = new SshExecutor(inv, {
    acceptNewHostKeys: o.acceptNewHostKeys,
    onHostKeyAccepted: (host, fingerprint) =>
      accepted.push({ type: 'hostkey.accepted', member: host, fingerprint }),
  });
  return {
    executor,
    clock: systemClock,
    prompter: makePrompter(idle),
    listeners,
    redactor: new Redactor(),
    operator: operatorName(),
    pending: accepted,
    ...(failpoint ? { failpoint } : {}),
    // The cluster after a run that ended (done or aborted), as diagnose shows it: for the report.
    closing: async (status, left) =>
      status === 'done' || status === 'aborted'
        ? [await diagnosisEvent(inv, executor, 'after', undefined, left)]
        : [],
    showPlan,
    // The progress display has drawn its last line: the run's closing lines come after it, not inside it.
    settled: () => idle(),
  };
}
