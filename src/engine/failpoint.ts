// Failpoints: a testing aid that kills the CLI at a chosen journal boundary, so resume is proven at every point.
// Off unless LIFEBOAT_FAILPOINT is set; refused for an inventory that is not a lab (see docs/reliability.md).
import { refused, usage } from '../errors/error.js';
import type { RunEvent } from './events.js';

export type FailpointSpec =
  | { kind: 'after-entry'; seq: number }
  | { kind: 'before-cmd' | 'after-cmd'; stateId: string; member: string; index: number };

/** Called by the engine around each audit append; `kill` never returns. */
export interface Failpoint {
  readonly spec: FailpointSpec;
  /** Before an event is written: after-cmd fires here (the command ran, its result is not recorded yet). */
  beforeAppend(e: RunEvent): void;
  /** After an entry is fsynced: after-entry and before-cmd fire here. */
  afterAppend(seq: number, e: RunEvent): void;
}

const FORMS = 'after-entry:K, before-cmd:STATE/HOST/N or after-cmd:STATE/HOST/N';

export function parseFailpoint(text: string): FailpointSpec {
  const entry = /^after-entry:([1-9]\d{0,6})$/.exec(text);
  if (entry) return { kind: 'after-entry', seq: Number(entry[1]) };
  const cmd =
    /^(before-cmd|after-cmd):([A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*)\/([A-Za-z0-9_.-]+)\/(\d{1,4})$/.exec(
      text,
    );
  if (cmd)
    return {
      kind: cmd[1] as 'before-cmd' | 'after-cmd',
      stateId: cmd[2]!,
      member: cmd[3]!,
      index: Number(cmd[4]),
    };
  throw usage(`LIFEBOAT_FAILPOINT '${text.slice(0, 80)}' is not a failpoint`, `use ${FORMS}, or unset it`);
}

const isCmd = (spec: FailpointSpec, e: RunEvent, type: 'cmd.start' | 'cmd.end') =>
  spec.kind !== 'after-entry' &&
  e.type === type &&
  e.stateId === spec.stateId &&
  e.member === spec.member &&
  e.index === spec.index;

export function makeFailpoint(spec: FailpointSpec, kill: () => never): Failpoint {
  return {
    spec,
    beforeAppend(e) {
      if (spec.kind === 'after-cmd' && isCmd(spec, e, 'cmd.end')) kill();
    },
    afterAppend(seq, e) {
      if (spec.kind === 'after-entry' && seq === spec.seq) kill();
      if (spec.kind === 'before-cmd' && isCmd(spec, e, 'cmd.start')) kill();
    },
  };
}

/** A lab lives on loopback only: every member address in 127.0.0.0/8 (or localhost). */
export function isLabInventory(addresses: string[]): boolean {
  return (
    addresses.length > 0 &&
    addresses.every((a) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) || a === 'localhost')
  );
}

/** The failpoint the environment asks for, or none; refused against a real cluster unless forced. */
export function failpointFromEnv(
  env: Record<string, string | undefined>,
  addresses: string[],
  kill: () => never,
): Failpoint | undefined {
  const text = env.LIFEBOAT_FAILPOINT;
  if (text === undefined || text === '') return undefined;
  const spec = parseFailpoint(text);
  if (!isLabInventory(addresses) && env.LIFEBOAT_FAILPOINTS_ANYWHERE !== '1')
    throw refused(
      'LIFEBOAT_FAILPOINT is set but this inventory is not a lab (members outside 127.0.0.0/8)',
      'failpoints kill Lifeboat on purpose: unset LIFEBOAT_FAILPOINT (or set ' +
        'LIFEBOAT_FAILPOINTS_ANYWHERE=1 to test a staging cluster)',
    );
  return makeFailpoint(spec, kill);
}
