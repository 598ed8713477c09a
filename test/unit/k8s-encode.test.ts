import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeStoredObject } from '../../src/k8s/encode.js';
import { LifeboatError } from '../../src/errors/error.js';

const DIR = fileURLToPath(new URL('../fixtures/k8s-protobuf/', import.meta.url));
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('encodeStoredObject', () => {
  it('finds the fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(20));

  it.each(fixtures)('%s encodes to exactly the stored bytes', (f) => {
    const obj = JSON.parse(readFileSync(DIR + f, 'utf8')) as Record<string, unknown>;
    const want = readFileSync(DIR + f.replace(/\.json$/, '.pb'));
    expect(Buffer.from(encodeStoredObject(obj)).equals(want)).toBe(true);
  });

  it('encodes a sparse seed object with the k8s magic and an Unknown envelope', () => {
    const b = Buffer.from(
      encodeStoredObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'a', namespace: 'default' },
        data: { k: 'v' },
      }),
    );
    expect(b.subarray(0, 4).toString('latin1')).toBe('k8s\0');
    expect(b.includes(Buffer.from('ConfigMap'))).toBe(true);
    expect(b.subarray(-4).equals(Buffer.from([0x1a, 0, 0x22, 0]))).toBe(true);
  });

  it('rejects unknown fields and unknown kinds with a LifeboatError', () => {
    expect(() =>
      encodeStoredObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', nmae: 'x' } }),
    ).toThrow(/metadata.nmae: unknown field/);
    expect(() => encodeStoredObject({ apiVersion: 'v9', kind: 'Nope' })).toThrow(LifeboatError);
    expect(() => encodeStoredObject({ apiVersion: 'v1', kind: 'Secret', immutable: 'yes' })).toThrow(
      /immutable: expected a boolean/,
    );
  });
});
