// Flags shared by `run` and `resume`: approvals, output, host keys; and the exit code of a run's status.
import { oneOf, type Options } from './args.js';
import { exitForStatus } from '../errors/exit.js';
import { parseServe, SERVE_NOTE, serveRunDir } from '../live/serve-run.js';
import type { LiveServer } from '../live/server.js';
import type { Approvals } from '../engine/runner.js';
import type { OutputMode } from './edges.js';
import type { Anchored } from '../engine/record/anchor.js';
import type { RunStatus } from '../engine/events.js';
import { sh } from '../shell/sh.js';

export const RUN_FLAGS = {
  yes: { type: 'boolean', short: 'y' },
  approve: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  'accept-new-host-keys': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  serve: { type: 'string' },
} satisfies Options;

/** `--serve [HOST:]PORT` on run/resume: the live page while this process runs; it failing never stops the run. */
export function liveWhile(
  cmd: string,
  v: string | undefined,
): {
  start: (dir: string) => void;
  stop: () => Promise<void>;
} {
  const at = v === undefined ? undefined : parseServe(cmd, v);
  let srv: Promise<LiveServer | undefined> = Promise.resolve(undefined);
  return {
    start: (dir) => {
      if (!at) return;
      srv = serveRunDir(dir, at).then(
        (s) => (process.stderr.write(`${SERVE_NOTE}: ${s.url}\n`), s),
        (err: Error) => (process.stderr.write(`WARNING live page not served: ${err.message}\n`), undefined),
      );
    },
    stop: async () => (await srv)?.close(),
  };
}

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

/** The audit head at the end of a run, and where it was anchored: keep it to check the log later (`audit verify`). */
export function printAnchor(a: Anchored | undefined): void {
  if (a)
    process.stderr.write(
      `audit head ${a.hash} (entry ${a.seq}), anchored on ${a.on.join(', ') || 'no member (none reachable)'}\n`,
    );
}

/** The one line that says how a run that stopped goes on (after n, a missing approval or an interrupt). */
export function goOnLine(status: RunStatus, dir: string): string {
  return status === 'interrupted' ? `  resume it: ${sh`lifeboat resume ${dir}`.text}\n` : '';
}
