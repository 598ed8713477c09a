// OpenSSH-style host patterns: `*` and `?` wildcards, `!` negation, comma- or space-separated lists.

/** True when `name` matches one glob (`*` any run, `?` one character), case-insensitively. */
export function globMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  // Iterative matcher with backtracking on the last `*`: linear enough for host names, no regex escaping.
  let pi = 0;
  let ni = 0;
  let star = -1;
  let mark = 0;
  while (ni < n.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === n[ni])) {
      pi++;
      ni++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ni;
    } else if (star !== -1) {
      pi = star + 1;
      ni = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** A pattern list matches when some positive pattern matches and no negated one does. */
export function patternListMatch(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const raw of patterns) {
    if (raw === '') continue;
    if (raw.startsWith('!')) {
      if (globMatch(raw.slice(1), name)) return false;
    } else if (globMatch(raw, name)) {
      matched = true;
    }
  }
  return matched;
}
