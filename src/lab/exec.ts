// lab exec: run a command inside one host, as root, through its namespaces (works even when its sshd is down).
import { usage } from '../errors/error.js';
import { sh } from '../shell/sh.js';
import { execInHost } from './hosts.js';
import { asLab, member } from './state.js';
import type { ExecOutput, Lab } from './types.js';

export async function labExec(
  labOrDir: Lab | string,
  name: string,
  command: string | string[],
  opts: { timeoutMs?: number; input?: string | Buffer } = {},
): Promise<ExecOutput> {
  const lab = asLab(labOrDir);
  member(lab, name);
  const cmd = Array.isArray(command) ? sh`${command}`.text : command;
  if (!cmd.trim()) throw usage('lab exec: no command given', 'lifeboat lab exec MEMBER -- COMMAND');
  return execInHost(lab, name, cmd, opts);
}
