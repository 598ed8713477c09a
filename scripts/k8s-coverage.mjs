#!/usr/bin/env node
// Prints the coverage table of docs/snapshots.md (API versions x kinds: decode, encode, Kubernetes fixture) from
// the built schema registry (dist/) and the fixtures setup.sh fetches. Usage: npm run build && node scripts/k8s-coverage.mjs
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS } from '../dist/src/k8s/schema/index.js';

const ROOT = new URL('..', import.meta.url).pathname;
const SID = join(ROOT, '.cache/debian/sid');
const roots = [
  join(SID, 'golang-k8s-api-dev/usr/share/gocode/src/k8s.io/api/testdata'),
  join(
    SID,
    'golang-k8s-apiextensions-apiserver-dev/usr/share/gocode/src/k8s.io/apiextensions-apiserver/pkg/apis/testdata',
  ),
];
// Fixture file names are GROUP.VERSION.KIND (core group as "core"); the sweep test decodes and re-encodes each.
const fixtures = new Set();
for (const r of roots.filter(existsSync))
  for (const d of readdirSync(r, { withFileTypes: true }).filter((e) => e.isDirectory()))
    for (const f of readdirSync(join(r, d.name)).filter(
      (x) => x.endsWith('.pb') && !x.includes('after_roundtrip'),
    ))
      fixtures.add(f.slice(0, -3));
const fixtureName = (apiVersion, kind) =>
  `${apiVersion.includes('/') ? apiVersion.replace('/', '.') : `core.${apiVersion}`}.${kind}`;

const byVersion = new Map();
for (const k of KINDS) {
  if (!byVersion.has(k.apiVersion)) byVersion.set(k.apiVersion, []);
  byVersion.get(k.apiVersion).push(k);
}
const rows = [...byVersion.entries()].sort(([a], [b]) => (a === 'v1' ? -1 : b === 'v1' ? 1 : a < b ? -1 : 1));
let kinds = 0;
let withFixture = 0;
console.log(
  '| apiVersion | kinds (✓ = a Kubernetes fixture decodes equal and re-encodes to its bytes) | decode | encode |',
);
console.log('|---|---|---|---|');
for (const [v, ks] of rows) {
  const names = ks
    .map((k) => k.kind)
    .sort()
    .map((n) => (fixtures.has(fixtureName(v, n)) ? (withFixture++, `${n} ✓`) : n));
  kinds += ks.length;
  console.log(`| \`${v}\` | ${names.join(', ')} | all | all |`);
}
console.log(`\n${kinds} kinds in ${rows.length} API versions; ${withFixture} with a Kubernetes fixture.`);
