// A fake executor for unit tests: records every command and answers from a handler.
import type { ExecOptions, ExecResult, Executor, TransferResult } from '../../src/shell/executor.js';

export type Answer = Partial<ExecResult> | Error;

export class FakeExecutor implements Executor {
  readonly calls: Array<{ member: string; command: string }> = [];
  constructor(public handler: (member: string, command: string) => Answer = () => ({})) {}
  async exec(member: string, command: string, _o?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ member, command });
    const a = this.handler(member, command);
    if (a instanceof Error) throw a;
    return { exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 1, timedOut: false, ...a };
  }
  async upload(member: string, from: string, to: string): Promise<TransferResult> {
    this.calls.push({ member, command: `upload ${from} ${to}` });
    return { bytes: 1, sha256: 'f'.repeat(64) };
  }
  async download(member: string, from: string, to: string): Promise<TransferResult> {
    this.calls.push({ member, command: `download ${from} ${to}` });
    return { bytes: 1, sha256: 'f'.repeat(64) };
  }
  async close(): Promise<void> {}
}

export const manualClock = () => {
  let t = Date.parse('2026-11-22T10:00:00Z');
  return { now: () => new Date(t), sleep: async (ms: number) => void (t += ms) };
};
