// The sudo wrapper and sudo's refusals (quoting itself: src/shell/sh.ts).
import { sh } from '../shell/sh.js';

/** The command as the remote login shell receives it: always POSIX sh, through `sudo -n` when asked. */
export function wrapCommand(command: string, sudo: boolean): string {
  return (sudo ? sh`sudo -n sh -c ${command}` : sh`sh -c ${command}`).text;
}

/** sudo's own refusals, as opposed to a failing command run under it. */
export function isSudoRefusal(stderr: string): boolean {
  const refusals = [
    'a password is required',
    'a terminal is required',
    '.*is not in the sudoers file',
    '.*not allowed to execute',
    'sorry, you must have a tty',
  ];
  return new RegExp(`sudo: (${refusals.join('|')})`, 'i').test(stderr);
}
