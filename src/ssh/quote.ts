// POSIX shell quoting and the sudo wrapper.

/** Single-quotes a string for POSIX sh: every `'` becomes `'\''`. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command as the remote login shell receives it: always POSIX sh, through `sudo -n` when asked. */
export function wrapCommand(command: string, sudo: boolean): string {
  return sudo ? `sudo -n sh -c ${shQuote(command)}` : `sh -c ${shQuote(command)}`;
}

/** sudo's own refusals, as opposed to a failing command run under it. */
export function isSudoRefusal(stderr: string): boolean {
  return /sudo: (a password is required|a terminal is required|.*is not in the sudoers file|.*not allowed to execute|sorry, you must have a tty)/i.test(
    stderr,
  );
}
