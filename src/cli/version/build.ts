// Which build is running: the single executable carries its own record (defined by scripts/release.mjs), the npm
// package reads dist/build-info.json (written when it was packed), a checkout asks git.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type BuildKind = 'single executable' | 'npm package' | 'checkout';

export interface BuildInfo {
  version: string;
  commit: string;
  /** ISO 8601, UTC. */
  date: string;
  kind: BuildKind;
}

/** Replaced by the single-executable bundler with the build's record; absent everywhere else. */
declare const LIFEBOAT_BUILD: BuildInfo | undefined;

/** True in the single executable: no files beside the code, no node_modules. */
export function isSingleExecutable(): boolean {
  return typeof LIFEBOAT_BUILD !== 'undefined';
}

/** The folder holding package.json above this module (in dist/ or, under vitest, in src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    }).trim();
  } catch {
    return undefined;
  }
}

function checkoutInfo(root: string, version: string): BuildInfo {
  const head = git(root, ['rev-parse', 'HEAD']);
  const dirty = head !== undefined && git(root, ['status', '--porcelain', '--untracked-files=no']) !== '';
  const stamp = join(root, 'dist', '.build-stamp');
  return {
    version,
    commit:
      head === undefined
        ? 'unknown (not a git checkout)'
        : `${head}${dirty ? ' (with uncommitted changes)' : ''}`,
    date: existsSync(stamp) ? statSync(stamp).mtime.toISOString() : 'unknown (not built)',
    kind: 'checkout',
  };
}

export function buildInfo(): BuildInfo {
  if (typeof LIFEBOAT_BUILD !== 'undefined') return LIFEBOAT_BUILD;
  const root = packageRoot();
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const packed = join(root, 'dist', 'build-info.json');
  if (existsSync(packed)) {
    const { commit, date } = JSON.parse(readFileSync(packed, 'utf8')) as { commit: string; date: string };
    return { version, commit, date, kind: 'npm package' };
  }
  return checkoutInfo(root, version);
}
