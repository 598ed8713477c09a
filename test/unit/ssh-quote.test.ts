import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { remoteCommandLine, killGroupCommand } from '../../src/ssh/exec.js';
import { isSudoRefusal, shQuote, wrapCommand } from '../../src/ssh/quote.js';

const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });

const NASTY = [
  '',
  "it's",
  "''",
  'a b  c',
  '$HOME `id` $(id) \\n \\',
  '"double" \'single\' ; | & > < * ? [ ] { } ~ # !',
  'line1\nline2\n',
  "x'\"'\"'y",
  'ünïcødé ✓',
];

describe('shell quoting', () => {
  it.each(NASTY)('round-trips %j through sh', (s) => {
    expect(sh(`printf '%s' ${shQuote(s)}`)).toBe(s);
  });

  it('wraps a command for sh -c and for sudo -n sh -c', () => {
    const cmd = `printf '%s|' "it's" "$((1+2))"; echo 'done'`;
    expect(sh(wrapCommand(cmd, false))).toBe("it's|3|done\n");
    expect(wrapCommand(cmd, true)).toBe(`sudo -n sh -c ${shQuote(cmd)}`);
    // What sudo receives after the outer shell parses the line is exactly the original command.
    const args = sh(`set -- ${wrapCommand(cmd, true)}; printf '%s\\0' "$@"`).split('\0');
    expect(args.slice(0, 4)).toEqual(['sudo', '-n', 'sh', '-c']);
    expect(args[4]).toBe(cmd);
  });

  it('reports the login shell pid, then runs the command, keeping its exit status', () => {
    const out = execFileSync('sh', ['-c', `(${remoteCommandLine("echo out; echo err >&2; exit 7", false)}) 2>&1; echo rc=$?`], { encoding: 'utf8' });
    expect(out).toMatch(/^LIFEBOAT-PID:\d+\nout\nerr\nrc=7\n$/);
    expect(killGroupCommand(123, true)).toMatch(/^sudo -n sh -c '/);
  });

  it('recognises sudo refusals', () => {
    expect(isSudoRefusal('sudo: a password is required\n')).toBe(true);
    expect(isSudoRefusal('sudo: a terminal is required to read the password')).toBe(true);
    expect(isSudoRefusal('etcdctl: permission denied')).toBe(false);
  });
});
