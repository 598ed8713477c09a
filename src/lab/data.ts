// The lab's data: read every key (sha256 of each value) through a member, write and compare the data manifest.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { EtcdClient, prefixEnd } from './grpc.js';
import { asLab, member } from './state.js';
import type { DataManifest, Lab } from './types.js';

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface ReadOptions {
  /** Member to read through (default: the first one that answers). */
  member?: string;
  /** Key prefix (default: everything under "/"). */
  prefix?: string;
  /** Read the member's local copy without asking the quorum (works on a member that lost quorum). */
  serializable?: boolean;
}

/** Every key under the prefix with its raw value, paged; `revision` is the store revision of the first page. */
export async function readAllValues(
  labOrDir: Lab | string,
  opts: ReadOptions = {},
): Promise<{ revision: number; values: Map<string, Buffer> }> {
  const lab = asLab(labOrDir);
  const prefix = opts.prefix ?? '/';
  const candidates = opts.member ? [member(lab, opts.member)] : lab.members;
  let lastErr: Error | null = null;
  for (const m of candidates) {
    const c = new EtcdClient(m.clientURL, lab.client);
    try {
      const values = new Map<string, Buffer>();
      let from: Buffer = Buffer.from(prefix);
      let revision = 0;
      const end = prefixEnd(prefix);
      for (;;) {
        const r = await c.range(from, end, {
          limit: 500,
          serializable: opts.serializable ?? false,
          timeoutMs: 5000,
        });
        if (!revision) revision = r.revision;
        for (const kv of r.kvs) values.set(kv.key.toString('utf8'), kv.value);
        const last = r.kvs[r.kvs.length - 1];
        if (!r.more || !last) break;
        from = Buffer.concat([last.key, Buffer.from([0])]);
      }
      return { revision, values };
    } catch (err) {
      lastErr = err as Error;
    } finally {
      c.close();
    }
  }
  throw new Error(`lab: no member answered a read of ${prefix}: ${lastErr?.message ?? 'no members'}`);
}

/** key -> sha256 (hex) of its value, for every key under the prefix. */
export async function readAllKeys(
  labOrDir: Lab | string,
  opts: ReadOptions = {},
): Promise<Map<string, string>> {
  const { values } = await readAllValues(labOrDir, opts);
  return new Map([...values].map(([k, v]) => [k, sha256(v)]));
}

export async function writeManifest(lab: Lab): Promise<DataManifest> {
  const { revision, values } = await readAllValues(lab);
  const keys: Record<string, string> = {};
  for (const [k, v] of [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) keys[k] = sha256(v);
  const manifest: DataManifest = { revision, count: values.size, keys };
  writeFileSync(lab.manifestPath, JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}

export function readManifest(labOrDir: Lab | string): DataManifest {
  return JSON.parse(readFileSync(asLab(labOrDir).manifestPath, 'utf8')) as DataManifest;
}

export interface DataDiff {
  missing: string[];
  changed: string[];
  extra: string[];
}

/** Compares what a member serves now with the data manifest: keys lost, changed, or added since seeding. */
export async function compareWithManifest(labOrDir: Lab | string, opts: ReadOptions = {}): Promise<DataDiff> {
  const lab = asLab(labOrDir);
  const want = readManifest(lab).keys;
  const have = await readAllKeys(lab, opts);
  const missing = Object.keys(want).filter((k) => !have.has(k));
  const changed = Object.keys(want).filter((k) => have.has(k) && have.get(k) !== want[k]);
  const extra = [...have.keys()].filter((k) => !(k in want));
  return { missing, changed, extra };
}
