// Entry gates: a runbook starts only when it fits what the hosts show. Each gate reads the probe's facts (the same
// ones diagnose reads) and names the runbook that fits instead; a refusal changes nothing on any host.
import { isIP } from 'node:net';
import type { DecisionDef, PlanCtx } from '../engine/types.js';
import type { CertInfo } from '../etcd/certcheck.js';
import type { MemberFacts } from '../etcd/facts.js';
import { compareReleases, newerDataLine, newerLine, parseRelease } from '../etcd/versions.js';
import { parseAlarms } from '../etcd/storage.js';
import { sh } from '../shell/sh.js';

/** Why the runbook does not fit, with the one to run instead; undefined when it fits. */
export type Gate = (c: PlanCtx) => string | undefined;

const members = (certs: CertInfo[]) => [...new Set(certs.map((cert) => cert.member))].join(', ');

/** The command line that runs another runbook on the same inventory. */
const next = (c: PlanCtx, runbook: string) =>
  c.inventoryPath
    ? sh`lifeboat run ${runbook} -i ${c.inventoryPath}`.text
    : `lifeboat run ${runbook} -i INVENTORY`;

/** Expired or not-yet-valid certificates make TLS fail: etcd looks down while its data and quorum are intact. */
export const certificatesValid: Gate = (c) => {
  const certs = c.facts.certificates ?? [];
  const expired = certs.filter((cert) => cert.daysLeft < 0);
  const early = certs.filter((cert) => cert.notBefore !== undefined);
  if (!expired.length && !early.length) return undefined;
  const what = [
    expired.length
      ? `expired on ${members(expired)} (${expired[0]!.file}, ${expired[0]!.notAfter.slice(0, 10)})`
      : '',
    early.length ? `not valid yet on ${members(early)} (${early[0]!.file} from ${early[0]!.notBefore})` : '',
  ].filter(Boolean);
  return (
    `etcd's certificates are ${what.join('; ')}: TLS fails, which is why members look down; ` +
    `renew them first: ${next(c, 'renew-certs')}`
  );
};

/** The NOSPACE alarm: the cluster is whole but refuses writes. */
export const noSpaceAlarm: Gate = (c) => {
  const ids = new Map((c.facts.memberList ?? []).map((m) => [m.id, m.name]));
  const raised = parseAlarms(
    Object.values(c.facts.members).flatMap((f) => f.alarms ?? []),
    ids,
  ).filter((alarm) => alarm.alarm === 'NOSPACE');
  if (!raised.length) return undefined;
  return (
    `the NOSPACE alarm is raised (${[...new Set(raised.map((alarm) => alarm.member))].join(', ')}): the cluster ` +
    `refuses writes but keeps its members and data; free space first: ${next(c, 'free-space')}`
  );
};

/** A member the cluster knows at another address than the inventory's: the host moved. */
export const notMoved: Gate = (c) => {
  const moved = c.inventory.members.filter((m) => {
    const listed = c.facts.memberList?.find((x) => x.name === m.name);
    const host = listed?.peerURLs[0] ? new URL(listed.peerURLs[0]).hostname.replace(/^\[|\]$/g, '') : '';
    // Only an address can be compared: a peer URL by host name may well resolve to the inventory's address.
    return isIP(host) !== 0 && isIP(m.address) !== 0 && host !== m.address;
  });
  if (!moved.length) return undefined;
  return (
    `${moved.map((m) => m.name).join(', ')} moved (the cluster knows another address than the inventory's): ` +
    `move the cluster with it first: ${next(c, 'readdress')}`
  );
};

/** What would restore or serve data on a member (host tools, else the container's, else the image's tag). */
function binaries(facts: MemberFacts | undefined): { tool: string; release: string }[] {
  const image = /:v?(\d+\.\d+\.\d+)(-\d+)?$/.exec(facts?.containers?.image ?? '')?.[1];
  const found = [
    { tool: 'etcdutl', release: facts?.etcdutlVersion ?? facts?.containers?.etcdutlVersion },
    { tool: 'etcd', release: facts?.etcdVersion ?? image },
  ];
  return found.filter(
    (bin): bin is { tool: string; release: string } => parseRelease(bin.release) !== undefined,
  );
}

/** The oldest binary among the members that is of an older line than `written`, as "cp-1's etcdutl". */
function olderThan(c: PlanCtx, written: string): { by: string; release: string } | undefined {
  const old = c.inventory.members
    .flatMap((member) =>
      binaries(c.facts.members[member.name]).map((bin) => ({ by: `${member.name}'s ${bin.tool}`, ...bin })),
    )
    .filter((bin) => newerLine(written, bin.release))
    .sort((older, newer) => compareReleases(older.release, newer.release));
  return old[0];
}

/** A snapshot written by a newer etcd line than the members' binaries: etcd would refuse it after the old data
 *  was moved aside. */
export const snapshotNotNewer: Gate = (c) => {
  for (const [path, file] of Object.entries(c.files)) {
    if (file.role !== undefined || file.storageVersion === undefined) continue;
    const old = olderThan(c, file.storageVersion);
    if (old)
      return newerDataLine({
        what: `snapshot ${path} (storage version ${file.storageVersion})`,
        written: file.storageVersion,
        ...old,
      });
  }
  return undefined;
};

/** Members' data of a newer line (the cluster version the members report) than a member's binaries: etcd started
 *  there refuses it. */
export const dataNotNewer: Gate = (c) => {
  const written = Object.values(c.facts.members)
    .map((facts) => facts.clusterVersion)
    .filter((line): line is string => line !== undefined)
    .sort((older, newer) => compareReleases(`${older}.0`, `${newer}.0`))
    .at(-1);
  const old = written ? olderThan(c, written) : undefined;
  if (!written || !old) return undefined;
  return newerDataLine({ what: `the members' data (cluster version ${written})`, written, ...old });
};

/** The decision with the gates in front: the first gate that objects refuses the run with its reason. */
export function gated(gates: Gate[], d: DecisionDef): DecisionDef {
  if (!Object.values(d.branches).includes('refuse'))
    throw new Error(`decision ${d.id} has no refuse branch for its gates`);
  const refuse = Object.entries(d.branches).find(([, nodes]) => nodes === 'refuse')![0];
  return {
    ...d,
    decide: (c) => {
      if (!c.facts.probed) return d.decide(c);
      for (const gate of gates) {
        const why = gate(c);
        if (why) return { branch: refuse, why };
      }
      return d.decide(c);
    },
  };
}
