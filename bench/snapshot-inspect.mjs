// Bench: `lifeboat snapshot inspect` vs `etcdctl snapshot status` on a ~1 GiB snapshot from a local etcd 3.4.
// Run after `npm run build`: node bench/snapshot-inspect.mjs [--size-mb 1024] [--file PATH]
// The snapshot is built once on 127.0.0.1 (bounded by --size-mb) and cached in the temp dir.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeStoredObject } from '../dist/src/k8s/encode.js';
import { startLocalEtcd } from '../dist/src/snapshot/etcd-local.js';

const { values: v } = parseArgs({ options: { 'size-mb': { type: 'string' }, file: { type: 'string' } } });
const sizeMb = Math.min(Number(v['size-mb'] ?? 1024), 4096);
const file = v.file ?? join(tmpdir(), `lifeboat-bench-${sizeMb}m.db`);
const ETCDCTL = '/usr/bin/etcdctl';
const LIFEBOAT = new URL('../bin/lifeboat', import.meta.url).pathname;

async function build() {
  const etcd = await startLocalEtcd({ quotaBytes: 8 * 2 ** 30, timeoutMs: 30_000 });
  try {
    const payload = 'x'.repeat(9_000);
    let bytes = 0;
    let i = 0;
    const t0 = Date.now();
    while (bytes < sizeMb * 2 ** 20) {
      const batch = [];
      for (let j = 0; j < 100; j++, i++) {
        const ns = `ns-${i % 50}`;
        const obj = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: `cm-${i}`,
            namespace: ns,
            uid: `uid-${i}`,
            creationTimestamp: '2024-01-01T00:00:00Z',
          },
          data: { payload, index: String(i) },
        };
        const value = encodeStoredObject(obj);
        bytes += value.length;
        batch.push([`/registry/configmaps/${ns}/cm-${i}`, value]);
      }
      await etcd.putMany(batch);
      if (i % 20_000 === 0)
        process.stderr.write(
          `bench: ${i} objects, ${(bytes / 2 ** 20).toFixed(0)} MiB, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
        );
    }
    const tmp = `${file}.part`;
    await etcd.etcdctl('snapshot', 'save', tmp);
    renameSync(tmp, file);
  } finally {
    await etcd.stop();
  }
}

/** Wall time and peak RSS of one command, via /usr/bin/time -v. */
function measure(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, ETCDCTL_API: '3' },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { seconds, rssMb: rssKb / 1024, stdout: r.stdout };
}

if (!existsSync(file)) {
  process.stderr.write(`bench: building a ~${sizeMb} MiB snapshot at ${file} with a local etcd\n`);
  await build();
}
process.stderr.write(`bench: ${file} is ${(statSync(file).size / 2 ** 30).toFixed(2)} GiB\n`);
execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 0 }); // warm the page cache equally for both
const runs = { etcdctl: [], lifeboat: [] };
for (let round = 0; round < 3; round++) {
  runs.etcdctl.push(measure(ETCDCTL, ['snapshot', 'status', file, '-w', 'json']));
  runs.lifeboat.push(measure(process.execPath, [LIFEBOAT, 'snapshot', 'inspect', file, '--output', 'json']));
}
const hashed = measure(process.execPath, [
  LIFEBOAT,
  'snapshot',
  'inspect',
  file,
  '--output',
  'json',
  '--hash',
]);
const best = (xs) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const e = best(runs.etcdctl);
const l = best(runs.lifeboat);
const status = JSON.parse(e.stdout);
const report = JSON.parse(l.stdout);
const agree =
  status.revision === report.revision &&
  status.totalKey === report.totalKeys &&
  status.hash === JSON.parse(hashed.stdout).hash;
console.log(`file                      ${file} (${(statSync(file).size / 2 ** 30).toFixed(2)} GiB)`);
console.log(
  `etcdctl snapshot status   ${e.seconds.toFixed(2)} s   peak RSS ${e.rssMb.toFixed(0)} MiB   (runs: ${runs.etcdctl.map((x) => x.seconds.toFixed(2)).join(', ')})`,
);
console.log(
  `lifeboat snapshot inspect ${l.seconds.toFixed(2)} s   peak RSS ${l.rssMb.toFixed(0)} MiB   (runs: ${runs.lifeboat.map((x) => x.seconds.toFixed(2)).join(', ')})`,
);
console.log(
  `lifeboat inspect --hash   ${hashed.seconds.toFixed(2)} s   peak RSS ${hashed.rssMb.toFixed(0)} MiB   (adds etcdctl's CRC-32C over every entry)`,
);
console.log(
  `ratio lifeboat/etcdctl    ${(l.seconds / e.seconds).toFixed(2)}   (lifeboat ${(e.seconds / l.seconds).toFixed(2)}x faster)`,
);
console.log(`same revision/total keys/hash as etcdctl: ${agree ? 'yes' : `NO (${JSON.stringify(status)})`}`);
if (!v.file) process.stderr.write(`bench: kept ${file} for the next run; delete it to rebuild\n`);
const ok = agree && l.seconds < e.seconds && l.rssMb < 512;
if (!ok) console.log('FAIL: inspect must agree with etcdctl, be faster, and stay under 512 MiB');
process.exitCode = ok ? 0 : 1;
