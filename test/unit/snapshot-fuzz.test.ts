// Random and mutated files: every reader entry point ends in a result or a LifeboatError, quickly.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../src/errors/error.js';
import { encodeStoredObject } from '../../src/k8s/encode.js';
import { startLocalEtcd, type LocalEtcd } from '../../src/snapshot/etcd-local.js';
import { inspect } from '../../src/snapshot/inspect.js';
import { Snapshot } from '../../src/snapshot/snapshot.js';
import { verify } from '../../src/snapshot/verify.js';

let etcd: LocalEtcd;
let base: Buffer;
const dir = mkdtempSync(join(tmpdir(), 'lb-fuzz-'));

beforeAll(async () => {
  etcd = await startLocalEtcd();
  const puts: [string, Uint8Array][] = [];
  for (let i = 0; i < 400; i++) {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `c${i}`, namespace: `ns${i % 3}` },
      data: { v: i % 50 === 0 ? 'y'.repeat(9000) : String(i) },
    };
    puts.push([`/registry/configmaps/ns${i % 3}/c${i}`, encodeStoredObject(cm)]);
  }
  for (let i = 0; i < puts.length; i += 100) await etcd.putMany(puts.slice(i, i + 100));
  await etcd.del('/registry/configmaps/ns0/c0');
  const f = join(dir, 'base.db');
  await etcd.etcdctl('snapshot', 'save', f);
  base = readFileSync(f);
}, 60_000);

afterAll(async () => {
  await etcd?.stop();
});

let seed = 987654321;
const rnd = (n: number) => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed % n;
};

/** Runs every reader on a file; returns 'ok' or 'error', fails on anything but a LifeboatError. */
function exercise(path: string): 'ok' | 'error' {
  try {
    const s = Snapshot.open(path);
    try {
      inspect(s);
      verify(s);
      s.state({ values: true, rev: 50 });
    } finally {
      s.close();
    }
    return 'ok';
  } catch (err) {
    if (!(err instanceof LifeboatError)) throw err;
    expect(err.code).toBe('input');
    expect(err.oneLine()).not.toMatch(/\n/);
    return 'error';
  }
}

describe('snapshot reader fuzz', () => {
  it('random files are rejected', () => {
    for (let i = 0; i < 40; i++) {
      const b = Buffer.alloc(rnd(3) === 0 ? rnd(2000) : 4096 * (1 + rnd(8)));
      for (let j = 0; j < b.length; j++) b[j] = rnd(256);
      const f = join(dir, `r${i}.db`);
      writeFileSync(f, b);
      expect(exercise(f)).toBe('error');
    }
  });

  it('mutated snapshots (bit flips, zeroed pages, truncation, spliced pages) never crash or hang', () => {
    const started = Date.now();
    const outcomes = { ok: 0, error: 0 };
    const ps = 4096;
    for (let i = 0; i < 150; i++) {
      let b = Buffer.from(base);
      const mode = i % 4;
      if (mode === 0)
        for (let j = 0; j < 1 + rnd(20); j++) {
          const at = rnd(b.length);
          b[at] = (b[at] ?? 0) ^ (1 << rnd(8));
        }
      const pages = Math.floor(b.length / ps);
      if (mode === 1) {
        const p = rnd(pages) * ps;
        b.fill(rnd(2) ? 0 : 0xff, p, p + ps);
      }
      if (mode === 2) b = b.subarray(0, rnd(b.length));
      if (mode === 3) {
        const from = rnd(pages) * ps;
        b.copy(b, rnd(pages) * ps, from, from + ps);
        for (let j = 0; j < 8; j++) b.writeUInt32LE(rnd(2 ** 32), rnd(pages) * ps + 16 + rnd(ps - 20));
      }
      const f = join(dir, `m${i}.db`);
      writeFileSync(f, b);
      outcomes[exercise(f)]++;
    }
    expect(outcomes.error).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('the unmutated snapshot reads cleanly', () => {
    const f = join(dir, 'clean.db');
    writeFileSync(f, base);
    expect(exercise(f)).toBe('ok');
  });
});

describe('bolt key order', () => {
  it('snapshot verify fails a file whose keys in one leaf page are out of order', () => {
    const buf = Buffer.from(base);
    const PAGE = 4096;
    let swapped = false;
    for (let off = 2 * PAGE; off + PAGE <= buf.length && !swapped; off += PAGE) {
      const flags = buf.readUInt16LE(off + 8);
      const count = buf.readUInt16LE(off + 10);
      if (flags !== 0x02 || count < 2) continue;
      const el = (i: number) => off + 16 + i * 16;
      const k0 = el(0) + buf.readUInt32LE(el(0) + 4);
      const k1 = el(1) + buf.readUInt32LE(el(1) + 4);
      if (buf.readUInt32LE(el(0) + 8) !== 17 || buf.readUInt32LE(el(1) + 8) !== 17) continue;
      const first = Buffer.from(buf.subarray(k0, k0 + 17));
      buf.copy(buf, k0, k1, k1 + 17);
      first.copy(buf, k1);
      swapped = true;
    }
    expect(swapped, 'a leaf page of revision keys in the test snapshot').toBe(true);
    const f = join(dir, 'unordered.db');
    writeFileSync(f, buf);
    const s = Snapshot.open(f);
    try {
      const r = verify(s);
      expect(r.ok).toBe(false);
      expect(r.problems.join('\n')).toMatch(/bucket \/?key: keys out of order/);
    } finally {
      s.close();
    }
  });
});
