// Exit codes, mapped in one place.
import type { ErrorCode } from './error.js';

export const EXIT = {
  ok: 0,
  failed: 1, // a step failed, or diagnose found the cluster degraded
  incomplete: 1, // decode/snapshot: some value came back raw or partial (its lifeboatDecode marker says why)
  badInput: 2, // bad input or refusal: nothing was changed on any host
  quorumLost: 3, // diagnose: quorum is lost
  awaitingApproval: 4, // run stopped safely before an unapproved destructive step
  aborted: 5, // the operator aborted the run: it ended, the lock is released, it cannot be resumed
  interrupted: 130, // SIGINT/SIGTERM (128 + 2, as shells report Ctrl-C): recorded, resumable with 'lifeboat resume'
} as const;

/** How a run ended (engine/events.ts RunStatus; spelled out here so errors/ imports nothing of the engine). */
type RunStatus = 'done' | 'failed' | 'aborted' | 'refused' | 'awaiting-approval' | 'interrupted';

/** The exit code of a run that ended (or stopped) with this status. */
export function exitForStatus(status: RunStatus): number {
  switch (status) {
    case 'done':
      return EXIT.ok;
    case 'refused':
      return EXIT.badInput;
    case 'awaiting-approval':
      return EXIT.awaitingApproval;
    case 'aborted':
      return EXIT.aborted;
    case 'failed':
      return EXIT.failed;
    case 'interrupted':
      return EXIT.interrupted;
  }
}

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'usage':
    case 'input':
    case 'unreachable':
    case 'hostkey':
    case 'refused':
    case 'environment':
      return EXIT.badInput;
    case 'approval':
      return EXIT.awaitingApproval;
    case 'interrupted':
      return EXIT.interrupted;
    case 'step':
    case 'internal':
      return EXIT.failed;
  }
}
