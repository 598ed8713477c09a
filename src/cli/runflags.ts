// Flags shared by `run` and `resume`: approvals, output, host keys; and the exit code of a run's status.
import { oneOf, type Options } from './args.js';
import { EXIT } from '../core/exit.js';
import type { RunStatus } from '../engine/events.js';
import type { Approvals } from '../engine/runner.js';
import type { OutputMode } from './edges.js';
import type { Anchored } from '../engine/anchor.js';

export const RUN_FLAGS = {
  yes: { type: 'boolean', short: 'y' },
  approve: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  'accept-new-host-keys': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
} satisfies Options;

export function approvalsOf(v: { yes?: boolean | undefined; approve?: string[] | undefined }): Approvals {
  return {
    all: v.yes === true,
    steps: new Set(
      (v.approve ?? [])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  };
}

export const outputOf = (cmd: string, v: string | undefined): OutputMode =>
  oneOf(cmd, 'output', v, ['auto', 'text', 'json'] as const, 'auto');

export function exitFor(status: RunStatus): number {
  switch (status) {
    case 'done':
      return EXIT.ok;
    case 'refused':
      return EXIT.badInput;
    case 'awaiting-approval':
      return EXIT.awaitingApproval;
    default:
      return EXIT.failed;
  }
}

/** The audit head at the end of a run, and where it was anchored: keep it to check the log later (`audit verify`). */
export function printAnchor(a: Anchored | undefined): void {
  if (a)
    process.stderr.write(
      `audit head ${a.hash} (entry ${a.seq}), anchored on ${a.on.join(', ') || 'no member (none reachable)'}\n`,
    );
}
