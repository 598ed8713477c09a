// Case 8: a 1 GiB snapshot-like file to an S3-compatible object store (s3rver on 127.0.0.1, its own process, stopped
// by pid): Lifeboat's putFile (streaming multipart upload, sha256 while it streams, then read back and hashed) against
// `rclone copy` of the same file to the same server; plus Lifeboat's peak RSS (the file is never held in memory).
//
//   node bench/offsite.mjs [--size-mb 1024]
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/common.mjs';

const { values: v } = parseArgs({ options: { 'size-mb': { type: 'string', default: '1024' } } });
const mb = Number(v['size-mb']);
const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-s3-'));
const file = join(work, 'snap.db');
const fd = openSync(file, 'w');
const h = createHash('sha256');
const buf = Buffer.alloc(1 << 20);
for (let i = 0; i < mb; i++) {
  randomFillSync(buf);
  h.update(buf);
  writeSync(fd, buf);
}
closeSync(fd);
const sha = h.digest('hex');

const port = await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const srv = spawn(
  process.execPath,
  [
    join(ROOT, 'node_modules/s3rver/bin/s3rver.js'),
    '-d',
    join(work, 's3'),
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '--silent',
    '--configure-bucket',
    'bkt',
  ],
  { stdio: 'ignore' },
);
const up = () =>
  new Promise((res) => {
    const c = connect(port, '127.0.0.1', () => (c.destroy(), res(true)));
    c.on('error', () => res(false));
  });
for (const t0 = Date.now(); !(await up());) {
  if (Date.now() - t0 > 20_000) throw new Error('s3rver did not start');
  await new Promise((r) => setTimeout(r, 50)); // polling a port with a deadline, not synchronisation by sleep
}
const endpoint = `http://127.0.0.1:${port}`;
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
try {
  const put = `import { openStore } from '${ROOT}/dist/src/backup/store.js';
import { putFile } from '${ROOT}/dist/src/backup/backups.js';
const s = openStore('s3://bkt/lifeboat', { endpoint: '${endpoint}' });
const t0 = performance.now();
await putFile(s, 'b-1', 'snap.db', '${file}', '${sha}');
const ms = performance.now() - t0;
s.close();
process.stdout.write(JSON.stringify({ ms, rss: process.resourceUsage().maxRSS }));`;
  const lb = spawnSync(process.execPath, ['--input-type=module', '-e', put], { env, encoding: 'utf8' });
  if (lb.status !== 0) throw new Error(`lifeboat upload failed: ${lb.stderr}`);
  const { ms: lifeboatMs, rss } = JSON.parse(lb.stdout);
  const rclone = join(ROOT, '.cache/debian/sid/rclone/usr/bin/rclone');
  let baselineMs = NaN;
  if (existsSync(rclone)) {
    const renv = {
      ...env,
      RCLONE_CONFIG_B_TYPE: 's3',
      RCLONE_CONFIG_B_PROVIDER: 'Other',
      RCLONE_CONFIG_B_ENDPOINT: endpoint,
      RCLONE_CONFIG_B_ACCESS_KEY_ID: 'S3RVER',
      RCLONE_CONFIG_B_SECRET_ACCESS_KEY: 'S3RVER',
      RCLONE_CONFIG_B_FORCE_PATH_STYLE: 'true',
    };
    const t0 = performance.now();
    const r = spawnSync(rclone, ['--config', '/dev/null', 'copy', file, 'B:bkt/rclone/'], {
      env: renv,
      encoding: 'utf8',
    });
    baselineMs = performance.now() - t0;
    if (r.status !== 0) throw new Error(`rclone copy failed: ${r.stderr}`);
  } else process.stdout.write('rclone not fetched (scripts/setup.sh fetches it): no baseline\n');
  const ratio = lifeboatMs / baselineMs;
  process.stdout.write(
    `offsite ${mb} MiB: Lifeboat ${(lifeboatMs / 1000).toFixed(2)} s (upload + read-back hash), rclone copy ${(baselineMs / 1000).toFixed(2)} s, ratio ${ratio.toFixed(2)}, Lifeboat peak RSS ${(rss / 1024).toFixed(0)} MiB\n`,
  );
  if (process.env.BENCH_RESULTS)
    appendFileSync(
      process.env.BENCH_RESULTS,
      JSON.stringify({ case: 'offsite', mb, lifeboatMs, baselineMs, ratio, rssKiB: rss }) + '\n',
    );
} finally {
  srv.kill('SIGTERM');
  await new Promise((r) => (srv.exitCode !== null ? r() : srv.on('exit', r)));
  rmSync(work, { recursive: true, force: true });
}
