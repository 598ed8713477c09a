// Small error classes with a code, the host, the command and a hint; exit codes live in exit.ts.
export type ErrorCode =
  | 'usage' // bad flag or argument
  | 'input' // bad inventory, runbook, snapshot file or other input
  | 'unreachable' // host cannot be reached
  | 'hostkey' // unknown or changed host key
  | 'refused' // a precondition refuses the operation (healthy cluster, no quorum, lock held)
  | 'environment' // not root, missing binary, namespaces not allowed
  | 'approval' // stopped safely before a destructive step that was not approved
  | 'step' // a runbook step failed
  | 'interrupted' // SIGINT/SIGTERM before the run started changing anything
  | 'internal';

export class LifeboatError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly host: string | undefined;
  readonly command: string | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; host?: string; command?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LifeboatError';
    this.code = code;
    this.hint = opts.hint;
    this.host = opts.host;
    this.command = opts.command;
  }
  /** One line for the operator: what went wrong, where, and what to do. */
  oneLine(): string {
    const where = this.host ? ` [${this.host}]` : '';
    const hint = this.hint ? ` — ${this.hint}` : '';
    return `${this.message}${where}${hint}`;
  }
}

export const usage = (message: string, hint?: string) =>
  new LifeboatError('usage', message, hint === undefined ? {} : { hint });
export const badInput = (message: string, hint?: string) =>
  new LifeboatError('input', message, hint === undefined ? {} : { hint });
export const refused = (message: string, hint?: string) =>
  new LifeboatError('refused', message, hint === undefined ? {} : { hint });
export const environment = (message: string, hint?: string) =>
  new LifeboatError('environment', message, hint === undefined ? {} : { hint });
