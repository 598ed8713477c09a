#!/usr/bin/env node
// Compiles src/ and runbooks/ into dist/ when a source is newer than the last build (the rule scripts/setup.sh uses).
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(ROOT, 'dist', '.build-stamp');
const sources = ['src', 'runbooks', 'tsconfig.json', 'package.json'];
const newer = existsSync(stamp)
  ? execFileSync('find', [...sources, '-newer', stamp, '-print', '-quit'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim()
  : 'no build yet';
if (newer) {
  process.stderr.write('build: compiling (tsc)\n');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  writeFileSync(stamp, '');
}
