// Shell retry loops that poll a condition: first retry after 0.05 s, doubling to at most 1 s, until a deadline.
import { usage } from '../errors/error.js';
import { sh, type Script } from './sh.js';

/**
 * `start` goes before the loop, `next` at the end of its body: it fails the script with `late` once `seconds` have
 * passed, else sleeps the current pause and doubles it. A condition that holds soon is seen soon, one that takes
 * long is not polled hard (`late` may be a Script to print shell variables). `name` names the shell variables
 * (two loops in one script need two names).
 */
export function backoff(seconds: number, late: string | Script, name = 'w'): { start: Script; next: Script } {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw usage(`backoff: ${name} is not a shell variable name`);
  const pause = sh.variable(name);
  const end = sh.variable(`${name}_end`);
  return {
    start: sh`${pause}=0.05; ${end}=$(( $(date +%s) + ${Math.ceil(seconds)} ))`,
    // Past the deadline: say why and fail; else sleep, doubling the pause up to 1 s.
    next: sh`[ "$(date +%s)" -lt "$${end}" ] || { echo ${late} >&2; exit 1; }; sleep "$${pause}"; ${pause}=$(awk -v w="$${pause}" 'BEGIN { w *= 2; print (w > 1 ? 1 : w) }')`,
  };
}
