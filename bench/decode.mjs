// Bench: typed decode of stored Kubernetes objects. Lifeboat's decoder (the schema table, JSON form with Kubernetes'
// semantics) against protobufjs 7 (reflection over the same generated.proto files, decode + toObject) and JSON.parse
// of the same objects' JSON, on every kind of Kubernetes' own HEAD fixtures, one run, side by side.
// Run after `npm run build` and scripts/setup.sh: node bench/decode.mjs [--seconds 2] [--baseline DIST]
// --baseline: another build's dist/ (e.g. the commit before this decoder: git archive + tsc) timed in the same run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import protobuf from 'protobufjs';
import { readUnknown } from '../dist/src/k8s/envelope.js';
import { kindFor } from '../dist/src/k8s/schema/index.js';
import { decodeStoredValue } from '../dist/src/k8s/value.js';
import { ROOT } from './lib/common.mjs';

const { values: v } = parseArgs({ options: { seconds: { type: 'string' }, baseline: { type: 'string' } } });
const seconds = Math.min(Number(v.seconds ?? 2), 30);
const SID = join(ROOT, '.cache/debian/sid');
const API = join(SID, 'golang-k8s-api-dev/usr/share/gocode/src');
const HEAD = join(API, 'k8s.io/api/testdata/HEAD');
if (!existsSync(HEAD)) {
  console.error(`bench: no fixtures at ${HEAD}; run scripts/setup.sh`);
  process.exit(2);
}
const SRC = [API, join(SID, 'golang-k8s-apimachinery-dev/usr/share/gocode/src')];

// Stored kinds only (the ones etcd holds), each value as kube-apiserver writes it.
const cases = [];
for (const f of readdirSync(HEAD).filter((x) => x.endsWith('.pb'))) {
  const pb = readFileSync(join(HEAD, f));
  const u = readUnknown(pb);
  const info = kindFor(u.apiVersion, u.kind);
  if (
    !info ||
    (!info.message.startsWith('core.v1.') &&
      !/^(apps|batch|networking|policy|rbac|storage)\./.test(info.message))
  )
    continue;
  cases.push({
    f,
    pb,
    raw: u.raw,
    json: readFileSync(join(HEAD, f.replace(/\.pb$/, '.json')), 'utf8'),
    info,
  });
}

// protobufjs: load each group's generated.proto with its imports resolved against the Debian source trees.
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => SRC.map((d) => join(d, target)).find(existsSync) ?? target;
const protoOf = (msg) => {
  const [group, ver] = msg.split('.');
  return group === 'core'
    ? `k8s.io/api/core/${ver}/generated.proto`
    : `k8s.io/api/${group}/${ver}/generated.proto`;
};
root.loadSync([...new Set(cases.map((c) => protoOf(c.info.message)))], { keepCase: true });
for (const c of cases) {
  const [group, ver, name] = c.info.message.split('.');
  c.type = root.lookupType(`k8s.io.api.${group}.${ver}.${name}`);
}
const bytes = cases.reduce((a, c) => a + c.pb.length, 0);

function measure(fn) {
  for (let i = 0; i < 50; i++) for (const c of cases) fn(c); // warm up
  let rounds = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (const c of cases) fn(c);
    rounds++;
  }
  const ms = performance.now() - t0;
  return { perSec: (rounds * cases.length * 1000) / ms, mbPerSec: (rounds * bytes * 1000) / ms / 2 ** 20 };
}

const results = [
  ['lifeboat decodeStoredValue', measure((c) => decodeStoredValue(c.pb))],
  [
    'protobufjs decode+toObject',
    measure((c) => c.type.toObject(c.type.decode(c.raw), { longs: String, bytes: String })),
  ],
  ['JSON.parse of the .json twin', measure((c) => JSON.parse(c.json))],
];
if (v.baseline) {
  const old = await import(join(v.baseline, 'src/k8s/value.js'));
  results.push([`baseline build (${v.baseline})`, measure((c) => old.decodeStoredValue(c.pb))]);
}
const base = results[1][1].perSec;
console.log(
  `${cases.length} stored kinds from k8s.io/api testdata/HEAD, ${(bytes / 1024).toFixed(0)} KiB a round, ${seconds} s each`,
);
for (const [name, r] of results)
  console.log(
    `${name.padEnd(30)} ${r.perSec.toFixed(0).padStart(8)} objects/s  ${r.mbPerSec.toFixed(1).padStart(6)} MiB/s  ratio to protobufjs ${(r.perSec / base).toFixed(2)}`,
  );
// Lifeboat does more (Kubernetes JSON names, omitempty, Quantity/Time forms, exact int64): within 2x of protobufjs is the bar.
let ok = results[0][1].perSec * 2 >= base;
if (!ok) console.log('FAIL: lifeboat decode is more than 2x slower than protobufjs');
if (v.baseline) {
  const ratio = results[3][1].perSec / results[0][1].perSec;
  console.log(
    `time per object, this build / baseline build: ${ratio.toFixed(2)} (the issue's bar: at most 1.3)`,
  );
  if (ratio > 1.3) {
    ok = false;
    console.log('FAIL: more than 1.3x the baseline decode time');
  }
}
process.exitCode = ok ? 0 : 1;
