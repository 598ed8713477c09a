// Exact int64, named slices/maps, nil vs empty, and the lifeboatDecode marker with its exit code.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run as decodeCli } from '../../src/cli/decode/index.js';
import { dropForeignOwners } from '../../src/cli/snapshot/extract.js';
import { EXIT } from '../../src/errors/exit.js';
import { encodeStoredObject, wrapUnknown } from '../../src/k8s/encode.js';
import { parseExact, stringifyExact } from '../../src/k8s/json.js';
import { toJson, toYaml } from '../../src/k8s/present.js';
import { decodeStoredValue, incomplete, MARKER, objectOf } from '../../src/k8s/value.js';
import { Writer } from '../../src/k8s/wire.js';

const roundTrip = (obj: Record<string, unknown>) => objectOf(decodeStoredValue(encodeStoredObject(obj)))!;
const cm = (generation: number | bigint) => ({
  kind: 'ConfigMap',
  apiVersion: 'v1',
  metadata: { name: 'a', namespace: 'default', generation },
});

describe('exact integers', () => {
  it.each([
    ['2^63-1', 9223372036854775807n, '9223372036854775807'],
    ['2^53+1', 9007199254740993n, '9007199254740993'],
    ['-2^63', -9223372036854775808n, '-9223372036854775808'],
    ['the issue', 8071137005907523419n, '8071137005907523419'],
  ])('%s round-trips exactly through protobuf, JSON and YAML', (_n, big, text) => {
    const back = roundTrip(cm(big));
    expect((back.metadata as { generation: unknown }).generation).toBe(big);
    expect(toJson(back)).toContain(`"generation": ${text}\n`);
    expect(toYaml(back)).toContain(`generation: ${text}\n`);
    expect(parseExact(toJson(back))).toEqual(back);
  });

  it('keeps safe integers plain numbers', () => {
    expect((roundTrip(cm(2 ** 53 - 1)).metadata as { generation: unknown }).generation).toBe(2 ** 53 - 1);
    expect(stringifyExact({ a: [1, -(2n ** 63n)], b: 'x' })).toBe('{"a":[1,-9223372036854775808],"b":"x"}');
  });
});

describe('named slices and maps, nil and empty', () => {
  const csr = (extra: unknown) => ({
    kind: 'CertificateSigningRequest',
    apiVersion: 'certificates.k8s.io/v1',
    metadata: { name: 'c' },
    spec: { request: 'eA==', signerName: 's', usages: ['digital signature'], extra },
    status: {},
  });

  it('ExtraValue is a list in JSON, an empty list stays empty', () => {
    const spec = (e: unknown) => (roundTrip(csr(e)).spec as { extra?: unknown }).extra;
    expect(spec({ a: ['1', '2'], b: [] })).toEqual({ a: ['1', '2'], b: [] });
    expect(spec(undefined)).toBeUndefined();
  });

  it('OpenShift DeploymentConfig triggers: absent is null, empty is []', () => {
    const dc = (triggers: unknown) => ({
      kind: 'DeploymentConfig',
      apiVersion: 'apps.openshift.io/v1',
      metadata: { name: 'd' },
      spec: { triggers, replicas: 0, test: false, selector: { a: 'b' } },
      status: {},
    });
    const t = (x: unknown) => (roundTrip(dc(x)).spec as { triggers?: unknown }).triggers;
    expect(t(null)).toBeNull();
    expect(t([])).toEqual([]);
    expect(t([{ type: 'ConfigChange' }])).toEqual([{ type: 'ConfigChange' }]);
  });

  it('a nil pointer stays absent and a zero pointer stays zero', () => {
    const job = (activeDeadlineSeconds: number | undefined) => ({
      kind: 'Job',
      apiVersion: 'batch/v1',
      metadata: { name: 'j' },
      spec: { ...(activeDeadlineSeconds === undefined ? {} : { activeDeadlineSeconds }), template: {} },
      status: {},
    });
    expect(roundTrip(job(0)).spec).toHaveProperty('activeDeadlineSeconds', 0);
    expect(roundTrip(job(undefined)).spec).not.toHaveProperty('activeDeadlineSeconds');
  });
});

describe('the lifeboatDecode marker', () => {
  it('an unknown field is kept and marked partial, not dropped', () => {
    const typed = encodeStoredObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a' } });
    // A ConfigMap with an extra field 99 (varint 7) after its known fields.
    const extra = new Writer();
    extra.tag(99, 0);
    extra.varint(7);
    const raw = Buffer.concat([Buffer.from(innerOf(typed)), Buffer.from(extra.finish())]);
    const v = decodeStoredValue(wrapUnknown('v1', 'ConfigMap', raw));
    expect(incomplete(v)).toMatch(/1 field\(s\) the v1 ConfigMap schema does not know/);
    expect(objectOf(v)![MARKER]).toEqual({
      status: 'partial',
      why: expect.any(String),
      unknownFields: [{ message: 'core.v1.ConfigMap', field: 99, wire: 0, value: '7' }],
    });
  });

  it('`decode -o json` of an unknown kind carries the marker, says so on stderr and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-exact-'));
    const f = join(dir, 'v.bin');
    writeFileSync(f, wrapUnknown('example.com/v1', 'Widget', Uint8Array.of(0x0a, 0x01, 0x78)));
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      expect(await decodeCli([f, '-o', 'json'])).toBe(EXIT.incomplete);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(EXIT.incomplete).toBe(1);
    expect(JSON.parse(out)[MARKER]).toEqual({
      status: 'raw',
      why: expect.stringMatching(/no schema for example.com\/v1 Widget/),
    });
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/not fully decoded/);
  });
});

function innerOf(stored: Uint8Array): Uint8Array {
  // runtime.Unknown field 2 (raw) of a freshly encoded value: tag 0x12, then its varint length.
  const buf = Buffer.from(stored);
  let at = buf.indexOf(0x12, 4 + 2 + buf[5]!);
  at++;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    const b = buf[at++]!;
    len |= (b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  return buf.subarray(at, at + len);
}

describe('extract --for-apply ownerReferences', () => {
  it('keeps a reference to an object in the extract, drops (and notes) one to an object not in it', () => {
    const owned = {
      kind: 'ReplicaSet',
      metadata: {
        name: 'rs',
        namespace: 'a',
        ownerReferences: [
          { kind: 'Deployment', name: 'd', uid: 'uid-d' },
          { kind: 'Thing', name: 'gone', uid: 'uid-gone' },
        ],
      },
    };
    const orphan = { kind: 'Pod', metadata: { name: 'p', ownerReferences: [{ uid: 'uid-gone' }] } };
    const notes: string[] = [];
    dropForeignOwners([owned, orphan], new Set(['uid-d', 'uid-rs']), (s) => notes.push(s));
    expect(owned.metadata.ownerReferences).toEqual([{ kind: 'Deployment', name: 'd', uid: 'uid-d' }]);
    expect(orphan.metadata).not.toHaveProperty('ownerReferences');
    expect(notes).toEqual([
      'ReplicaSet a/rs: dropped 1 ownerReference(s) to objects not in the extract',
      'Pod p: dropped 1 ownerReference(s) to objects not in the extract',
    ]);
  });
});
