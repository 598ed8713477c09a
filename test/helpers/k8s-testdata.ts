// Kubernetes' own round-trip fixtures (k8s.io/api testdata/HEAD and release folders) from Debian's -dev packages.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SID = join(import.meta.dirname, '../../.cache/debian/sid');
export const TESTDATA_ROOTS = [
  join(SID, 'golang-k8s-api-dev/usr/share/gocode/src/k8s.io/api/testdata'),
  join(
    SID,
    'golang-k8s-apiextensions-apiserver-dev/usr/share/gocode/src/k8s.io/apiextensions-apiserver/pkg/apis/testdata',
  ),
];

export interface Fixture {
  /** e.g. HEAD/core.v1.Pod */
  name: string;
  pb: string;
  /** The JSON the .pb decodes to: Kubernetes' after_roundtrip twin when it has one. */
  json: string;
  /** The bytes re-encoding gives: the after_roundtrip .pb when there is one. */
  pbAfter: string;
  jsonAfterRoundtrip: boolean;
  pbAfterRoundtrip: boolean;
}

export function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const root of TESTDATA_ROOTS) {
    if (!existsSync(root)) continue;
    for (const ver of readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()) {
      const dir = join(root, ver);
      const files = new Set(readdirSync(dir));
      for (const f of [...files].sort()) {
        if (!f.endsWith('.pb') || f.endsWith('.after_roundtrip.pb')) continue;
        const base = f.slice(0, -3);
        const jsonAfter = files.has(`${base}.after_roundtrip.json`);
        const pbAfter = files.has(`${base}.after_roundtrip.pb`);
        out.push({
          name: `${ver}/${base}`,
          pb: join(dir, f),
          json: join(dir, jsonAfter ? `${base}.after_roundtrip.json` : `${base}.json`),
          pbAfter: join(dir, pbAfter ? `${base}.after_roundtrip.pb` : f),
          jsonAfterRoundtrip: jsonAfter,
          pbAfterRoundtrip: pbAfter,
        });
      }
    }
  }
  return out;
}
