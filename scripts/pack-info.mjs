#!/usr/bin/env node
// npm pack's prepack/postpack: dist/build-info.json (the commit and date `lifeboat version` of the installed package
// prints) written just for the tarball, then removed so the checkout keeps asking git.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FILE = join(ROOT, 'dist', 'build-info.json');
const git = (args) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();

if (process.argv[2] === 'remove') {
  rmSync(FILE, { force: true });
} else {
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const commit = `${git(['rev-parse', 'HEAD'])}${dirty ? ' (with uncommitted changes)' : ''}`;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  writeFileSync(FILE, JSON.stringify({ commit, date }) + '\n');
}
