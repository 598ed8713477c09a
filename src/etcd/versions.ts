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
