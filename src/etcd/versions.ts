// etcd versions as the facts report them: comparing releases, and the image a cluster's version runs.
import type { Facts } from './facts.js';

/** "3.6.17" (or "v3.6.17", "3.6.17-0") -> [3, 6, 17]; undefined when not a release. */
export function parseRelease(v: string | undefined): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Negative, zero or positive as release a is older than, the same as, or newer than b (unparsable: oldest). */
export function compareReleases(a: string | undefined, b: string | undefined): number {
  const x = parseRelease(a) ?? [-1, 0, 0];
  const y = parseRelease(b) ?? [-1, 0, 0];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** "3.6.17" -> "3.6" */
export const lineOf = (v: string | undefined): string | undefined => {
  const r = parseRelease(v);
  return r ? `${r[0]}.${r[1]}` : undefined;
};

/** The newest etcd server release the members report (their binaries), or undefined when none answered. */
export function newestMemberRelease(facts: Facts): string | undefined {
  const seen = Object.values(facts.members)
    .map((f) => f.status?.version ?? f.etcdVersion)
    .filter((v): v is string => parseRelease(v) !== undefined);
  return seen.sort(compareReleases).at(-1);
}

/** The kubeadm image tag of a release: registry.k8s.io/etcd:3.6.17-0. */
export const etcdImageFor = (release: string): string => `registry.k8s.io/etcd:${release}-0`;

/** True when data written by `written` (a storage or cluster version) is of a newer line than `release` serves. */
export function newerLine(written: string | undefined, release: string | undefined): boolean {
  const [data, bin] = [parseRelease(written ?? '') ?? parseLine(written), parseRelease(release)];
  return data !== undefined && bin !== undefined && (data[0] - bin[0] || data[1] - bin[1]) > 0;
}

/** "3.6" (a cluster version) -> [3, 6, 0]. */
function parseLine(line: string | undefined): [number, number, number] | undefined {
  const parts = /^(\d+)\.(\d+)$/.exec(line ?? '');
  return parts ? [Number(parts[1]), Number(parts[2]), 0] : undefined;
}

/**
 * Why data of a newer etcd line must not go to older binaries, in one line: etcd 3.6+ refuses data of a newer storage
 * version at start (after the old data dir was moved aside), and `etcdutl migrate` is the supported way back.
 */
export function newerDataLine(found: { what: string; written: string; by: string; release: string }): string {
  const to = lineOf(found.release) ?? found.release;
  const from = lineOf(found.written) ?? found.written;
  return (
    `${found.what} was written by etcd ${from} and ${found.by} is etcd ${found.release}, which refuses newer data: ` +
    `use etcd ${from} binaries there, ` +
    `or take the data back with that line's etcdutl (snapshot restore into a data dir, then ` +
    `\`etcdutl migrate --data-dir DIR --target-version ${to}\`)`
  );
}
