// The executor port: how the engine and the etcd probes run commands and move files on members. src/ssh and the
// test fakes implement it; nothing above it talks to ssh2 directly.
export interface ExecOptions {
  /** Ends the command (and reports it) when it runs longer. */
  timeoutMs?: number;
  /** Written to the command's stdin, then closed. */
  stdin?: string | Buffer;
  /** Values to mask wherever this command or its output is logged. */
  secrets?: string[];
  /** Called with output as it arrives (for progress renderers). */
  onData?: (stream: 'stdout' | 'stderr', chunk: string) => void;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface TransferResult {
  bytes: number;
  sha256: string;
}

export interface Executor {
  /** Runs a shell command on a member (by member name), through `sudo -n` when the member's ssh says so. */
  exec(member: string, command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Copies a local file to a member and checks its sha256 on the remote side. */
  upload(
    member: string,
    localPath: string,
    remotePath: string,
    opts?: { mode?: number },
  ): Promise<TransferResult>;
  /** Copies a file from a member and checks its sha256 against the remote one. */
  download(member: string, remotePath: string, localPath: string): Promise<TransferResult>;
  close(): Promise<void>;
}
