// lab break diverge-member: one member's stored data differs from the others' while raft agrees (hashkv differs).
// A restore of an edited snapshot cannot do it: the restored raft log is behind the leader's commit and etcd panics
// ("tocommit out of range"). So the member's db file is edited in place while it is stopped: one object's UID, with
// the same length, in every revision that holds it; it starts again on its own raft state and serves other data.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { refused } from '../errors/error.js';
import { EtcdClient } from './grpc.js';
import { execInHost } from './hosts.js';
import { member } from './state.js';
import type { BreakResult, Lab } from './types.js';
import { waitFor } from './wait.js';

const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const SEEDED = '/registry/configmaps/team-a/';

/** A seeded object's UID (through a member other than the one to change) and the key that holds it. */
async function pickUid(lab: Lab, other: string): Promise<{ key: string; uid: string }> {
  const c = new EtcdClient(member(lab, other).clientURL, lab.client);
  try {
    const end = SEEDED.slice(0, -1) + String.fromCharCode(SEEDED.charCodeAt(SEEDED.length - 1) + 1);
    const r = await c.range(SEEDED, end, { limit: 1, timeoutMs: 3000 });
    const kv = r.kvs[0];
    const uid = kv ? UID.exec(kv.value.toString('latin1'))?.[0] : undefined;
    if (!kv || !uid)
      throw refused(
        'lab break diverge-member: no seeded object to change',
        'bring the lab up with --seed-data',
      );
    return { key: kv.key.toString(), uid };
  } finally {
    c.close();
  }
}

/** Python on the host: every occurrence of the UID in the stopped member's db replaced; fails when none is found. */
const editScript = (db: string, from: string, to: string) =>
  `python3 - <<'EOF'\nimport sys\np=${JSON.stringify(db)}` +
  `\nb=open(p,'rb').read()\nn=b.count(${JSON.stringify(from)}.encode())\nif n==0: sys.exit('uid ` +
  `not found in '+p)\nopen(p,'r+b').write(b.replace(${JSON.stringify(from)}.encode(), ` +
  `${JSON.stringify(to)}.encode()))\nprint(n)\nEOF`;

/** Starts etcd again the way its platform does: a static pod's manifest moved away and back, or systemctl. */
const restartScript = (lab: Lab) =>
  lab.mode === 'static-pod'
    ? 'm=/etc/kubernetes/manifests/etcd.yaml; mv "$m" /etc/kubernetes/etcd.yaml.lab-diverge && mv ' +
      '/etc/kubernetes/etcd.yaml.lab-diverge "$m"'
    : 'systemctl restart etcd';

/** etcd's log on the host (static pod or unit) says its start-up hash check found the peers' data different. */
function refusedAtStart(hostDir: string): boolean {
  const logs = join(hostDir, 'log');
  if (!existsSync(logs)) return false;
  return readdirSync(logs)
    .filter((f) => f.startsWith('etcd'))
    .some((f) => readFileSync(join(logs, f), 'utf8').includes('found data inconsistency with peers'));
}

export async function divergeMember(
  lab: Lab,
  one: string,
  actions: string[],
  kill: () => Promise<void>,
  answers: () => Promise<boolean>,
): Promise<BreakResult> {
  if (lab.mode !== 'static-pod' && lab.mode !== 'systemd')
    throw refused(`lab break diverge-member: not in ${lab.mode} mode`, 'use a static-pod or systemd lab');
  const other = lab.members.find((m) => m.name !== one)?.name;
  if (!other) throw refused('lab break diverge-member: needs two members or more', 'bring up a 3-member lab');
  const { key, uid } = await pickUid(lab, other);
  const changed = [...uid].reverse().join('');
  await kill();
  const db = '/var/lib/etcd/member/snap/db';
  for (const [what, cmd] of [
    ['edit', editScript(db, uid, changed)],
    ['restart', restartScript(lab)],
  ] as const) {
    const r = await execInHost(lab, one, cmd, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`lab break diverge-member: ${what} on ${one}: ${r.stderr.trim()}`);
    if (what === 'edit')
      actions.push(`${one}: ${r.stdout.trim()} copies of ${key}'s uid ${uid} in ${db} now read ${changed}`);
  }
  let divergent: 'serving' | 'refused-at-start' = 'serving';
  await waitFor(
    async () => {
      if (await answers()) return true;
      if (refusedAtStart(member(lab, one).hostDir)) divergent = 'refused-at-start';
      return divergent === 'refused-at-start';
    },
    {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: `etcd on ${one} to answer again or refuse its data at start`,
    },
  );
  actions.push(
    divergent === 'serving'
      ? `${one}: etcd restarted on the edited db and serves it`
      : `${one}: etcd refused to start on the edited db (its initial corruption check: data inconsistency with peers)`,
  );
  return { scenario: 'diverge-member', members: [one], actions, divergent };
}
