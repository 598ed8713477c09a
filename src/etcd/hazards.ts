// The hazards of etcd upgrades (3.5 -> 3.6 -> 3.7) that diagnose names, each with the runbook that fixes it: zombie
// members, too many or never-started learners, a cluster version behind the binaries, a 3.5 too old to upgrade from,
// and --experimental-* flags that etcd 3.7 refuses.
import type { Inventory } from '../inventory/resolve.js';
import type { Facts } from './facts.js';
import type { Finding } from './diagnose.js';
import { compareReleases, lineOf, parseRelease } from './versions.js';

/** The 3.5 patch the 3.6 upgrade guide asks for first (fixes for the learner and zombie-member incidents). */
export const MIN_35_FOR_36 = '3.5.32';
/** The 3.6 patch etcd 3.7 upgrades from. */
export const MIN_36_FOR_37 = '3.6.11';
/** etcd's default --max-learners. */
export const MAX_LEARNERS = 1;

const binaryOf = (facts: Facts, name: string) =>
  facts.members[name]?.status?.version || facts.members[name]?.etcdVersion;

/** Members in etcd's list that the inventory does not know, and learners that never started or are too many. */
function membershipHazards(inv: Inventory, facts: Facts): Finding[] {
  const list = facts.memberList;
  if (!list) return [];
  const out: Finding[] = [];
  const known = new Set(inv.members.map((m) => m.name));
  const peers = new Set(inv.members.map((m) => m.peerURL));
  for (const m of list) {
    const label = m.name || `(unstarted, ${m.peerURLs.join(',') || 'no peer URL'})`;
    if (!m.name && m.isLearner)
      out.push({
        severity: 'warning',
        message:
          `learner ${m.id} ${label} was added but never started: it holds a learner slot and blocks the next ` +
          `member add`,
        runbook: 'replace-member (it removes the member by ID and adds it again)',
      });
    else if (!known.has(m.name) && !m.peerURLs.some((u) => peers.has(u)))
      out.push({
        severity: 'warning',
        message:
          `zombie member ${m.id} ${label} is in etcd's member list but not in the inventory (upgrades to 3.6 can ` +
          `bring back members removed under 3.4/3.5, etcd#20967): it counts toward quorum`,
        runbook: `recover-quorum if quorum is lost, else remove it by ID (etcdctl member remove ${m.id})`,
      });
  }
  const learners = list.filter((m) => m.isLearner);
  if (learners.length > MAX_LEARNERS)
    out.push({
      severity: 'warning',
      message:
        `${learners.length} learners (${learners.map((m) => m.name || m.id).join(', ')}) where etcd allows ` +
        `${MAX_LEARNERS}: no member can be added until they are promoted or removed (etcd#19557)`,
      runbook: 'replace-member for each learner that does not catch up',
    });
  return out;
}

/** Binaries, cluster version and the upgrade path. */
function versionHazards(inv: Inventory, facts: Facts): Finding[] {
  const out: Finding[] = [];
  const binaries = inv.members
    .map((m) => ({ name: m.name, v: binaryOf(facts, m.name) }))
    .filter((x): x is { name: string; v: string } => parseRelease(x.v) !== undefined);
  const newest = binaries
    .map((b) => b.v)
    .sort(compareReleases)
    .at(-1);
  const cluster = Object.values(facts.members).find((f) => f.clusterVersion)?.clusterVersion;
  const mixed = new Set(binaries.map((b) => lineOf(b.v))).size > 1;
  if (cluster && newest && compareReleases(`${cluster}.0`, `${lineOf(newest)}.0`) < 0 && !mixed)
    out.push({
      severity: 'warning',
      message:
        `cluster version ${cluster} is behind the binaries (${lineOf(newest)} on every member): the upgrade did ` +
        `not finish (a member still on the older line, or one that never reported its version)`,
      runbook: 'replace-member for a member that does not report the new version',
    });
  if (mixed)
    out.push({
      severity: 'info',
      message:
        `members run different etcd lines (${binaries.map((b) => `${b.name} ${b.v}`).join(', ')}): ` +
        'a rolling upgrade is under way',
    });
  for (const b of binaries) {
    if (lineOf(b.v) === '3.5' && compareReleases(b.v, MIN_35_FOR_36) < 0)
      out.push({
        severity: 'info',
        member: b.name,
        message:
          `${b.name}: etcd ${b.v} is below ${MIN_35_FOR_36}, the 3.5 patch the 3.6 upgrade guide requires first ` +
          `(learner and zombie-member fixes)`,
        runbook: `upgrade to ${MIN_35_FOR_36}+ member by member before 3.6 (replace-member if one fails to rejoin)`,
      });
    if (lineOf(b.v) === '3.6' && compareReleases(b.v, MIN_36_FOR_37) < 0)
      out.push({
        severity: 'info',
        member: b.name,
        message: `${b.name}: etcd ${b.v} is below ${MIN_36_FOR_37}, the 3.6 patch etcd 3.7 upgrades from`,
      });
  }
  return out;
}

/** --experimental-* flags: refused by 3.7 (etcd does not start), deprecated on 3.6. */
function flagHazards(inv: Inventory, facts: Facts): Finding[] {
  return inv.members.flatMap((m): Finding[] => {
    const flags = facts.members[m.name]?.experimentalFlags ?? [];
    if (!flags.length) return [];
    const v = binaryOf(facts, m.name);
    if (compareReleases(v, '3.6.0') < 0) return []; // current flags for 3.5
    const refused = compareReleases(v, '3.7.0') >= 0;
    return [
      {
        severity: refused ? 'warning' : 'info',
        member: m.name,
        message:
          `${m.name}: etcd's configuration carries ${flags.map((f) => `--${f}`).join(' ')}: ` +
          (refused
            ? `etcd ${v} refuses to start with --experimental-* flags (ETCD_EXPERIMENTAL_* variables are ignored)`
            : 'deprecated since 3.6; etcd 3.7 refuses to start with them'),
        runbook: `migrate-flags --set members=${m.name}`,
      },
    ];
  });
}

/** Every upgrade hazard the facts show. */
export function upgradeHazards(inv: Inventory, facts: Facts): Finding[] {
  return [...membershipHazards(inv, facts), ...versionHazards(inv, facts), ...flagHazards(inv, facts)];
}
