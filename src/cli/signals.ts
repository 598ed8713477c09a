// SIGINT/SIGTERM during run and resume: Lifeboat stops the run itself (recorded, resumable); no renderer exits.
import { EXIT } from '../errors/exit.js';
import type { InterruptSignal } from '../engine/events.js';

export interface Interrupts {
  /** Aborted with the signal's name as its reason; the engine stops at it and records it. */
  signal: AbortSignal;
  dispose: () => void;
}

export function catchInterrupts(): Interrupts {
  const ctl = new AbortController();
  const on = (sig: InterruptSignal) => () => {
    // A second signal means "now": the run is already recorded as stopping, resume re-checks the step in flight.
    if (ctl.signal.aborted) {
      process.stderr.write(`\n${sig} again: leaving now; the step in flight is re-checked on resume\n`);
      process.exit(EXIT.interrupted);
    }
    process.stderr.write(
      `\n${sig}: stopping the run here and recording it (${sig} again to leave at once)\n`,
    );
    ctl.abort(sig);
  };
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: ctl.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
