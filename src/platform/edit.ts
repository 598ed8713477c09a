// Shell snippets shared by adapters: waiting on a port with a deadline, editing flag lines and KEY=VALUE files.
import { sh, type Script } from '../shell/sh.js';

/** Waits (polling, with a deadline) until ADDR:PORT is listening (up) or not (down). */
export function waitPort(hostPort: string, want: 'up' | 'down', seconds = 60): Script {
  const test = sh`ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qxF ${hostPort}`;
  const cond = want === 'up' ? test : sh`! ${test}`;
  const late = `timed out after ${seconds}s waiting for ${hostPort} to be ${want}`;
  return sh.join(
    [
      sh`i=0; until ${cond}; do i=$((i+1)); [ $i -ge ${seconds * 10} ] && { echo ${late} >&2; exit 1; }`,
      sh`sleep 0.1; done`,
    ],
    '; ',
  );
}

const sedEscape = (s: string) => s.replace(/[\\&#]/g, '\\$&');

/** Sets or removes `- --flag=value` lines of a static pod manifest's command list (file path given by $f). */
export function editManifestFlags(flags: Record<string, string | null>, command: string): Script {
  return sh.lines(
    Object.entries(flags).map(([flag, value]) => {
      const re = `^\\(\\s*\\)- --${flag}\\(=.*\\)\\{0,1\\}$`;
      if (value === null) return sh`sed -i ${`/${re}/d`} "$f"`;
      const v = sedEscape(value);
      const has = `^\\s*- --${flag}\\(=\\|$\\)`;
      return sh.join(
        [
          sh`if grep -q -- ${has} "$f"; then sed -i ${`s#${re}#\\1- --${flag}=${v}#`} "$f"`,
          sh`else sed -i ${`s#^\\(\\s*\\)- ${command}$#&\\n\\1- --${flag}=${v}#`} "$f"; fi`,
        ],
        '; ',
      );
    }),
  );
}

/** Sets or removes KEY=VALUE lines of an environment file (file path given by $f). */
export function editEnvFile(vars: Record<string, string | null>): Script {
  return sh.lines(
    Object.entries(vars).map(([k, value]) => {
      if (value === null) return sh`sed -i ${`/^${k}=/d`} "$f"`;
      const v = sedEscape(`"${value}"`);
      return sh.join(
        [
          sh`if grep -q ${`^${k}=`} "$f"; then sed -i ${`s#^${k}=.*#${k}=${v}#`} "$f"`,
          sh`else printf '%s\\n' ${`${k}="${value}"`} >>"$f"; fi`,
        ],
        '; ',
      );
    }),
  );
}

/** Keeps one copy of the file $f from before this run touched it (never overwritten, never deleted). */
export function keepOriginal(backupDir: string, stamp: string): Script {
  return sh.join(
    [
      sh`mkdir -p ${backupDir} && b=${backupDir}/"$(basename "$f")".before-${stamp}`,
      sh`{ [ -e "$b" ] || cp -p "$f" "$b"; }`,
    ],
    ' && ',
  );
}
