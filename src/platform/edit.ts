// Shell snippets shared by adapters: waiting on a port with a deadline, editing flag lines and KEY=VALUE files.
import { shq } from '../engine/tools.js';

/** Waits (polling, with a deadline) until ADDR:PORT is listening (up) or not (down). */
export function waitPort(hostPort: string, want: 'up' | 'down', seconds = 60): string {
  const test = `ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qxF ${shq(hostPort)}`;
  const cond = want === 'up' ? test : `! ${test}`;
  return `i=0; until ${cond}; do i=$((i+1)); [ $i -ge ${seconds * 10} ] && { echo "timed out after ${seconds}s waiting for ${hostPort} to be ${want}" >&2; exit 1; }; sleep 0.1; done`;
}

const sedEscape = (s: string) => s.replace(/[\\&#]/g, '\\$&');

/** Sets or removes `- --flag=value` lines of a static pod manifest's command list (file path given by $f). */
export function editManifestFlags(flags: Record<string, string | null>, command: string): string {
  const lines: string[] = [];
  for (const [flag, value] of Object.entries(flags)) {
    const re = `^\\(\\s*\\)- --${flag}\\(=.*\\)\\{0,1\\}$`;
    if (value === null) {
      lines.push(`sed -i '/${re.replace(/'/g, `'\\''`)}/d' "$f"`);
    } else {
      const v = sedEscape(value).replace(/'/g, `'\\''`);
      lines.push(
        `if grep -q -- '^\\s*- --${flag}\\(=\\|$\\)' "$f"; then sed -i 's#${re}#\\1- --${flag}=${v}#' "$f"; ` +
          `else sed -i 's#^\\(\\s*\\)- ${command}$#&\\n\\1- --${flag}=${v}#' "$f"; fi`,
      );
    }
  }
  return lines.join('\n');
}

/** Sets or removes KEY=VALUE lines of an environment file (file path given by $f). */
export function editEnvFile(vars: Record<string, string | null>): string {
  const lines: string[] = [];
  for (const [k, value] of Object.entries(vars)) {
    if (value === null) lines.push(`sed -i '/^${k}=/d' "$f"`);
    else {
      const v = sedEscape(`"${value}"`).replace(/'/g, `'\\''`);
      lines.push(
        `if grep -q '^${k}=' "$f"; then sed -i 's#^${k}=.*#${k}=${v}#' "$f"; else printf '%s\\n' ${shq(`${k}="${value}"`)} >>"$f"; fi`,
      );
    }
  }
  return lines.join('\n');
}

/** Keeps one copy of the file $f from before this run touched it (never overwritten, never deleted). */
export function keepOriginal(backupDir: string, stamp: string): string {
  return `mkdir -p ${shq(backupDir)} && b=${shq(backupDir)}/"$(basename "$f")".before-${stamp} && { [ -e "$b" ] || cp -p "$f" "$b"; }`;
}
