// Flags shared by `run` and `resume`: approvals, output, host keys; and the exit code of a run's status.
import { oneOf, type Options } from './args.js';
import { exitForStatus } from '../errors/exit.js';
import type { Approvals } from '../engine/runner.js';
import type { OutputMode } from './edges.js';

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

export const exitFor = exitForStatus;
