import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { remoteCommandLine, killGroupCommand } from '../../src/ssh/exec.js';
import { isSudoRefusal, wrapCommand } from '../../src/ssh/quote.js';
import { quote as shQuote } from '../../src/shell/sh.js';

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
    const out = execFileSync(
      'sh',
      ['-c', `(${remoteCommandLine('echo out; echo err >&2; exit 7', false)}) 2>&1; echo rc=$?`],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/^LIFEBOAT-PID:\d+\nout\nerr\nrc=7\n$/);
    expect(killGroupCommand(123, true)).toMatch(/^sudo -n sh -c '/);
  });

  it('ends a whole process group with the kill script, under dash', async () => {
    // detached: its own session and process group, like sshd gives a session's login shell.
    const p = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const child = await new Promise<number>((resolve) =>
      p.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    const exited = new Promise((r) => p.once('exit', r));
    execFileSync('sh', ['-c', killGroupCommand(p.pid as number, false)]);
    await exited;
    const gone = () => {
      try {
        return / Z /.test(readFileSync(`/proc/${child}/stat`, 'utf8'));
      } catch {
        return true;
      }
    };
    const end = Date.now() + 5000;
    while (!gone() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(gone()).toBe(true);
  });

  it('recognises sudo refusals', () => {
    expect(isSudoRefusal('sudo: a password is required\n')).toBe(true);
    expect(isSudoRefusal('sudo: a terminal is required to read the password')).toBe(true);
    expect(isSudoRefusal('etcdctl: permission denied')).toBe(false);
  });
});
