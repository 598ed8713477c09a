import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { run as decodeCli } from '../../src/cli/decode/index.js';
import { table } from '../../src/cli/snapshot/common.js';
import { run as snapshotCli } from '../../src/cli/snapshot/index.js';
import { GENESIS, readAudit, verifyAudit } from '../../src/engine/record/audit.js';
import { LifeboatError } from '../../src/errors/error.js';
import { encodeStoredObject } from '../../src/k8s/encode.js';
import { MAX_VALUE_DEPTH } from '../../src/k8s/json.js';
import { jsonDepth, JsonTooDeep, parseBoundedJson } from '../../src/local/bounded-json.js';
import { safeText } from '../../src/render/safe-text.js';
import { writeEtcdDb } from '../helpers/bolt-writer.js';

describe('readers of hostile text', () => {
  it('a table of 200k rows (snapshot ls of a big snapshot) is drawn without overflowing the stack', () => {
    const rows = [['KEY'], ...Array.from({ length: 200_000 }, (_, i) => [`/registry/k${i}`])];
    expect(table(rows).split('\n')).toHaveLength(200_001);
  });

  it('keys and names with terminal escapes are shown escaped', () => {
    const key = '/registry/\u001b]0;owned\u0007\u001b[2J\r\u202e';
    const shown = table([['KEY'], [key]]).split('\n')[1]!;
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(shown).toContain('\\x1b]0;owned\\x07\\x1b[2J\\x0d\\u202e');
    expect(safeText('plain é ✓')).toBe('plain é ✓');
  });

  it('JSON nested past the limit is refused before JSON.parse recurses; strings do not count', () => {
    expect(() => parseBoundedJson('['.repeat(100_000) + ']'.repeat(100_000))).toThrow(JsonTooDeep);
    expect(jsonDepth('{"a":"[[[[[[\\"[[["}')).toBe(1);
    expect(parseBoundedJson('{"a":[1,{"b":2}]}')).toEqual({ a: [1, { b: 2 }] });
  });
});

const dir = mkdtempSync(join(tmpdir(), 'lb-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(run: (argv: string[]) => Promise<number>, args: string[]) {
  let [stdout, stderr] = ['', ''];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await run(args), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** A value nested `depth` deep: objects inside objects, the innermost holding a 1. */
const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const widget = (depth: number) =>
  `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"team-a"},"spec":${nested(depth)}}`;

describe('stored JSON nested past the printers’ stack', () => {
  const deep = (d: number) => Buffer.from(widget(d));
  const revision = (d: number) =>
    encodeStoredObject({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'r', namespace: 'team-a' },
      data: JSON.parse(nested(d)) as unknown,
      revision: 1,
    });

  it('decode: past 256 deep shown as its text with one line, exit 1; just under decodes', async () => {
    for (const d of [300, 5000, 100_000]) {
      const f = join(dir, `deep-${d}.json`);
      writeFileSync(f, deep(d));
      const r = await cli(decodeCli, [f]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([
        `lifeboat: ${f}: not fully decoded: JSON nested more than ${MAX_VALUE_DEPTH} deep: shown as its text, not decoded`,
      ]);
      expect(r.stdout).toContain('text: ');
    }
    const ok = join(dir, 'deep-ok.json');
    writeFileSync(ok, deep(MAX_VALUE_DEPTH - 3));
    const r = await cli(decodeCli, [ok, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"kind": "Widget"');
  });

  it('decode: a protobuf object whose embedded JSON is too deep shows raw fields, exit 1', async () => {
    const f = join(dir, 'rev.pb');
    writeFileSync(f, revision(2000));
    const r = await cli(decodeCli, [f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`embedded JSON nested more than ${MAX_VALUE_DEPTH} deep: raw fields shown`);
    writeFileSync(f, revision(10));
    expect((await cli(decodeCli, [f])).code).toBe(0);
  });

  it('decode: etcdctl -w json input of the wrong shape is one line, exit 2', async () => {
    const f = join(dir, 'kvs.json');
    writeFileSync(f, '{"header":{},"kvs":[{"key":5,"value":{"a":1}}]}');
    await expect(cli(decodeCli, [f])).rejects.toThrow(/kvs\.0\.key: .*kvs\.0\.value: /);
    await expect(cli(decodeCli, [f])).rejects.toBeInstanceOf(LifeboatError);
  });

  it('snapshot get and extract: the deep value named on stderr, the other objects extracted, exit 1', async () => {
    const db = join(dir, 'deep.db');
    const cm = (name: string) =>
      Buffer.from(
        encodeStoredObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'team-a' } }),
      );
    writeEtcdDb(db, [
      { key: '/registry/configmaps/team-a/before', value: cm('before') },
      { key: '/registry/example.com/widgets/team-a/w', value: deep(100_000) },
      { key: '/registry/controllerrevisions/team-a/r', value: Buffer.from(revision(2000)) },
      { key: '/registry/configmaps/team-a/zafter', value: cm('zafter') },
    ]);
    const get = await cli(snapshotCli, ['get', db, '/registry/example.com/widgets/team-a/w']);
    expect(get.code).toBe(1);
    expect(get.stderr).toContain(`not fully decoded: JSON nested more than ${MAX_VALUE_DEPTH} deep`);
    const all = await cli(snapshotCli, ['extract', db]);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain(`/registry/example.com/widgets/team-a/w: skipped: JSON nested more than`);
    expect(all.stderr).toContain(
      '/registry/controllerrevisions/team-a/r: skipped: embedded JSON nested more than',
    );
    const names = parseAllDocuments(all.stdout).map(
      (x) => (x.toJS() as { metadata: { name: string } }).metadata.name,
    );
    expect(names).toEqual(['before', 'zafter']);
  });
});

describe('an audit log line nested 100,000 deep', () => {
  it('is not an audit log (one reason naming the line), never a stack overflow in hashing or reading', () => {
    const f = join(dir, 'audit.jsonl');
    const entry = { seq: 1, ts: 'x', type: 'warning', message: 'm', prevHash: GENESIS, hash: 'h' };
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    writeFileSync(f, JSON.stringify(entry).replace(/}$/, `,"x":${deep}}`) + '\n');
    expect(verifyAudit(f)).toEqual({
      ok: false,
      line: 1,
      reason: 'line 1 is JSON nested more than 64 deep: not an audit log',
    });
    expect(() => readAudit(f)).toThrow(/line 1 is JSON nested more than 64 deep/);
  });
});
