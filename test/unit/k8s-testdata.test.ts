// Every .pb fixture Kubernetes ships (Debian's golang-k8s-*-dev testdata) decodes to its .json and encodes back.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/k8s/decode.js';
import { encodeMessage, encodeStoredObject } from '../../src/k8s/encode.js';
import { readUnknown } from '../../src/k8s/envelope.js';
import { parseExact, stringifyExact } from '../../src/k8s/json.js';
import { kindFor, messageNames } from '../../src/k8s/schema/index.js';
import { decodeStoredValue, incomplete, MARKER, objectOf } from '../../src/k8s/value.js';
import { fixtures, TESTDATA_ROOTS } from '../helpers/k8s-testdata.js';

const all = fixtures();
const partial: string[] = [];
/** The message of a kind that is never stored (e.g. HEAD/core.v1.Status -> meta.v1.Status). */
function messageOf(name: string): string {
  const parts = name.split('/')[1]!.split('.');
  const [group, ver, kind] = [parts[0]!, parts[parts.length - 2]!, parts[parts.length - 1]!];
  return `${group === 'core' ? 'meta' : group}.${ver}.${kind}`;
}
// API versions Kubernetes 1.36 removed: its own scheme cannot read these older-release fixtures either.
const REMOVED = [
  'autoscaling.v2beta1.HorizontalPodAutoscaler',
  'autoscaling.v2beta2.HorizontalPodAutoscaler',
  'certificates.k8s.io.v1alpha1.PodCertificateRequest',
  'networking.k8s.io.v1alpha1.IPAddress',
  'networking.k8s.io.v1alpha1.ServiceCIDR',
  'resource.k8s.io.v1alpha3.DeviceClass',
  'resource.k8s.io.v1alpha3.ResourceClaim',
  'resource.k8s.io.v1alpha3.ResourceClaimTemplate',
  'resource.k8s.io.v1alpha3.ResourceSlice',
  'scheduling.k8s.io.v1alpha1.PriorityClass',
  'scheduling.k8s.io.v1alpha1.Workload',
];
const removed = (name: string): boolean => REMOVED.includes(name.split('/')[1]!);
const stored = all.filter((f) => !removed(f.name));

describe("Kubernetes' testdata fixtures", () => {
  it('are there (scripts/setup.sh fetches them)', () => {
    expect(
      all.length,
      `no fixtures under ${TESTDATA_ROOTS.join(', ')}: run scripts/setup.sh`,
    ).toBeGreaterThan(700);
  });

  it.each(stored.map((f) => [f.name, f] as const))(
    '%s decodes equal to its JSON and encodes back',
    (_n, f) => {
      const bytes = readFileSync(f.pb);
      const want = stringifyExact(parseExact(readFileSync(f.json, 'utf8')), 1);
      const u = readUnknown(bytes);
      if (!kindFor(u.apiVersion, u.kind)) {
        // API machinery kinds (Status, ListOptions, WatchEvent...) are never stored: decode by their message.
        const msg = messageOf(f.name);
        expect(messageNames()).toContain(msg);
        const obj = {
          ...(u.kind ? { kind: u.kind, apiVersion: u.apiVersion } : {}),
          ...decodeMessage(msg, u.raw),
        };
        expect(stringifyExact(obj, 1)).toBe(want);
        const after = readUnknown(readFileSync(f.pbAfter)).raw;
        expect(Buffer.from(encodeMessage(msg, obj, '', ['kind', 'apiVersion'])).equals(after)).toBe(true);
        return;
      }
      const v = decodeStoredValue(bytes);
      const obj = { ...objectOf(v)! };
      if (f.jsonAfterRoundtrip && obj[MARKER]) {
        // Kubernetes drops the fields its newer schema removed (after_roundtrip); we keep them, marked.
        expect(v.format === 'protobuf' && v.typed && (v.unknown?.length ?? 0) > 0).toBe(true);
        expect(incomplete(v)).toMatch(/schema does not know/);
        partial.push(f.name);
        delete obj[MARKER];
      } else expect(v.format === 'protobuf' && v.typed && incomplete(v) === undefined).toBe(true);
      expect(stringifyExact(obj, 1)).toBe(want);
      expect(Buffer.from(encodeStoredObject(obj)).equals(readFileSync(f.pbAfter))).toBe(true);
    },
  );

  it('lists the fixtures whose difference is one Kubernetes makes (its after_roundtrip files)', () => {
    const after = all.filter((f) => f.jsonAfterRoundtrip || f.pbAfterRoundtrip).map((f) => f.name);
    expect(after.length).toBeGreaterThan(0);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.every((n) => after.includes(n))).toBe(true);
    process.stdout.write(`after_roundtrip fixtures (${after.length}): ${after.join(', ')}\n`);
    process.stdout.write(`decoded partial, removed fields kept (${partial.length}): ${partial.join(', ')}\n`);
  });

  it('the fixtures of removed API versions come back raw and marked, never silently', () => {
    const gone = all.filter((f) => removed(f.name));
    expect(new Set(gone.map((f) => f.name.split('/')[1]))).toEqual(new Set(REMOVED));
    for (const f of gone) {
      const v = decodeStoredValue(readFileSync(f.pb));
      expect(v.format === 'protobuf' && !v.typed && /no schema for/.test(v.note ?? '')).toBe(true);
    }
  });
});
