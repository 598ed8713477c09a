#!/usr/bin/env node
// Writes docs/runbooks/<id>.md for every runbook from what the built CLI says about it (`lifeboat show ID --format text`
// `--format mermaid` and `--format svg`), so the steps, the diagram, the verifications and the confirmations stay true to the code.
// Only the short prose below (how to choose, how it was proven on the lab) is written by hand.
// Usage: npx tsc -p . && node scripts/gen-runbook-docs.mjs [--check]   (--check: exit 1 if a doc is out of date)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'docs/runbooks');
const check = process.argv.includes('--check');
const lifeboat = (...args) =>
  execFileSync('node', [join(root, 'bin/lifeboat'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });

const CHOOSE = `| Situation | Runbook |
|---|---|
| Routine, before any change, first thing in an incident while a member still answers | [backup](backup.md) |
| One member broken (disk lost, data corrupt, host rebuilt), the others keep quorum | [replace-member](replace-member.md) |
| A majority lost (no leader), at least one member still has its data | [recover-quorum](recover-quorum.md) |
| Data lost or wrong on the whole cluster, or no member has usable data; a good snapshot exists; several control-plane members | [restore-multi-master](restore-multi-master.md) |
| The same with one control-plane member | [restore-single-master](restore-single-master.md) |
| A host's address changed (re-IP, DHCP, new subnet), the others keep quorum | [readdress](readdress.md) |
| Every host (or a majority) moved, quorum lost; or the control plane was rebuilt on new machines | [restore-multi-master](restore-multi-master.md) with the same inventory (\`previousAddress\`), \`--set snapshot=FILE\` or \`--set backup=DIR\` |`;

/** Hand-written notes per runbook: parameters explained, how it was proven on the lab (test file), known limits. */
const NOTES = {
  backup: {
    usage: 'lifeboat run backup -i INVENTORY --set to=DIR [--set members=cp-1,cp-2] --yes',
    notes: [
      'Every chosen member must answer `endpoint health`; with a member down, name the healthy ones with `--set members=...` (a failed run keeps the cluster lock until it is resumed or aborted: `lifeboat resume RUN_DIR --abort`).',
      "Snapshots are written with mode 0600 in the member's backup dir, then downloaded to `DIR/<cluster>-<stamp>/etcd-<member>.db` with the sha256 checked on both ends; `backup-manifest.json` records cluster, member, revision, hash, total keys, sha256, time and etcd version.",
      'The config archive holds `pki/` and `manifests/` (static pods) or `/etc/etcd` and the etcd unit drop-ins (systemd).',
    ],
    lab: 'test/lab/runbook-backup.test.ts: static-pod 3 members (each downloaded snapshot holds exactly the keys and values the cluster served), kill -9 during the download then resume, systemd 5 members with one member killed.',
  },
  'restore-single-master': {
    usage: 'lifeboat run restore-single-master -i INVENTORY --set snapshot=FILE --yes',
    notes: [
      'Refuses an inventory with more than one member (use restore-multi-master), and a snapshot that is damaged or whose appended sha256 is wrong (exit 2, before any host is contacted for a change).',
      'A raw `member/snap/db` copy has no appended hash: it is refused unless `--set skipHashCheck=true`.',
      'On etcd 3.5+ (etcdutl found) the restore adds `--bump-revision` (`--set bumpRevision=N`, default 1e9) and `--mark-compacted`; on 3.4 a warning is recorded instead and the API server is restarted so its cache drops newer revisions.',
    ],
    lab: 'test/lab/runbook-restore-single-master.test.ts: one-member static-pod and systemd labs; after deletes and changes the data equals the snapshot key for key, value for value; kill -9 after the stop then resume; wrong-hash and three-member refusals.',
  },
  'restore-multi-master': {
    usage: 'lifeboat run restore-multi-master -i INVENTORY --set snapshot=FILE [--set token=NEW_TOKEN] --yes',
    notes: [
      'ONE snapshot for every member (never per-member snapshots), verified on the operator machine (sha256 appended by etcd, pages, live key count) before anything runs, and its sha256 checked again on every host after the copy.',
      'Every kube-apiserver and every etcd is stopped before the first restore; each data dir is moved aside to `DATA_DIR.before-STAMP` (or `member/` to `member.before-STAMP` when the data dir is a mount point) and never deleted.',
      'Each member is restored with its own name and peer URL, the full initial cluster and a NEW cluster token (`lifeboat-STAMP` unless `--set token=`).',
      "Afterwards: all members healthy, member list equals the inventory, `hashkv` equal on all members, live key count on every member equals the snapshot's.",
    ],
    lab: 'test/lab/runbook-restore-multi-master.test.ts: static-pod 3 members (wrong-hash refusal with no host touched, restore after deletes and changes, kill -9 during the restore step then resume) and systemd 5 members; data compared key for key and value for value with the snapshot file itself.',
  },
  'recover-quorum': {
    usage:
      'lifeboat run recover-quorum -i INVENTORY [--set strategy=snapshot|force-new-cluster] [--set survivor=NAME] --yes',
    notes: [
      'Refuses a healthy cluster (exit 2) unless `--set force=true`. The survivor is the member with the highest raft index among those that answer (the plan and the audit log show the table), or `--set survivor=`.',
      "`strategy=snapshot` (default): snapshot of the survivor (or a copy of its db file when it does not answer, restored with `--skip-hash-check`), restored as a new one-member cluster. `strategy=force-new-cluster`: the survivor's data dir is copied aside, the flag is added the platform's way (manifest flag, or the systemd drop-in `90-lifeboat-force-new-cluster.conf`), etcd started, the member list checked to hold one member, then the flag removed (the drop-in is moved aside, not deleted) and etcd restarted.",
      "The API servers are pointed at the survivor, then every other member rejoins one at a time: old data dir moved aside, `member add --learner`, started with state `existing`, promoted once caught up, healthy before the next. Finally the API servers point at all members and every member's configuration names the whole cluster with state `existing`, so no member can bootstrap a cluster of its own later.",
      'etcd 3.4 note: a learner that just joined serves clients only ~7 s later (its first publish times out), and a member add is refused for 5 s after the previous promotion ("unhealthy cluster"): the runbook waits for both with deadlines.',
    ],
    lab: 'test/lab/runbook-recover-quorum.test.ts: static-pod 3 members (refusal on a healthy cluster, strategy snapshot, strategy force-new-cluster killed with kill -9 right after `member add` and resumed) and, side by side, systemd 5 members with 3 lost (strategy force-new-cluster through the drop-in); every key and value as before the loss.',
  },
  readdress: {
    usage: 'lifeboat run readdress -i INVENTORY --yes   # members: new address, old one as previousAddress',
    notes: [
      "Old addresses come from each moved member's `previousAddress` in the inventory (the operator writes the new `address` and the old one there); with none, or addresses that are not IPv4, it refuses (exit 2). When the members at their inventory address have no quorum it refuses and names restore-multi-master (same inventory, a snapshot or a backup folder).",
      'Certificates are re-issued on the host from the CA key beside the trusted CA (kubeadm `ca.key`, RKE `kube-ca-key.pem`, openshift-ansible `ca/ca.key`); old certs and config are kept as `.before-STAMP` (docker: the old containers renamed `NAME-before-lifeboat-STAMP`). Where each topology keeps its flags: docs/platforms.md, "Moved hosts".',
      'After the moves: stale leases under `/registry/masterleases/` are removed; the `stale-endpoints` step waits until the `kubernetes` Endpoints and EndpointSlice name only members and lists other Endpoints/EndpointSlices naming an old address with the `kubectl -n NS delete endpointslice NAME` that has kube-controller-manager rebuild them.',
    ],
    lab: "test/lab/runbook-readdress.test.ts: static-pod 3 members with API server leases and a control-plane Service's EndpointSlice (one member moved; a second killed with kill -9 after its certs and resumed; all three moved: refused, then restore-multi-master on the new addresses); test/lab/runbook-readdress-platforms.test.ts: on systemd, k3s-external and docker, one member of 3 moved, then all three (refused, then restore-multi-master on the new addresses). Every key and value as before, new peer URL, new IP SAN, diagnose exit 0; both pass with LAB_ETCD_VERSION=3.5.",
  },
  'replace-member': {
    usage: 'lifeboat run replace-member -i INVENTORY --set failed=NAME [--set new=NAME] --yes',
    notes: [
      'Refuses when the members other than the failed one do not have quorum (use recover-quorum).',
      "The failed member is removed by ID (looked up by name in the member list), its host's old data dir moved aside, then it is added back as a learner with its peer URL, started with state `existing` and the printed initial cluster, promoted and checked healthy; then the remaining members' initial-cluster configuration is updated one at a time (a static pod restarts when its manifest changes: the adapter waits for the restart before the health check).",
      '`--set new=NAME` replaces the failed member with another inventory member (same procedure); by default the failed host itself is rebuilt.',
      "A CORRUPT alarm naming the failed member (etcd's corruption check raises it; every write and, on 3.5, every health check fails meanwhile) is disarmed right after the removal (`alarm/disarm-corrupt`: `alarm list` must then be empty); a CORRUPT alarm naming another member is refused.",
    ],
    lab: 'test/lab/runbook-replace-member.test.ts: static-pod 3 members (wiped member, corrupted member killed with kill -9 after `member add` and resumed, refusal without quorum) and systemd 5 members (killed member); every key and value intact. test/lab/diverge.test.ts: a still-running divergent member (`lab break diverge-member`), also with the CORRUPT alarm raised for it (`lab break corrupt-alarm`): hashkv equal afterwards, alarm list empty, writes work.',
  },
  'free-space': {
    usage: 'lifeboat run free-space -i INVENTORY [--set to=DIR] [--set quota=BYTES] [--set force=true] --yes',
    notes: [
      'Refuses when quorum is lost, when a member does not answer, when an alarm other than NOSPACE is raised, and when there is no NOSPACE alarm and every member is under 80 % of its quota (`--set force=true` overrides).',
      'When, after defragmenting, the largest db (live data) is still above 80 % of the probed quota, `quota/raise-quota` sets `--quota-backend-bytes` to twice the probed quota (at most 8 GiB; `--set quota=BYTES` chooses) through the platform, config copy kept as `.before-STAMP`, one member at a time, leader last, each restarted unless the edit restarted it (static pod, docker) and checked on its `/metrics`; otherwise it prints that the quota is kept.',
    ],
    lab: 'test/lab/incidents.test.ts: static-pod 3 members, `lab break fill-quota` (hot keys): NOSPACE, diagnose exit 1, free-space, diagnose 0, db smaller, leader defragmented last, kill -9 after a defrag then resume. test/lab/free-space-quota.test.ts (also at etcd 3.4): `lab break fill-quota-live` on static-pod and systemd: the quota doubled on every member (its /metrics), leader last, the config copy kept, alarm gone, a put works, every key and value intact, kill -9 after the first raise then resume (systemd).',
  },
};

/** Pulls the destructive steps (with what they change) and the verifications out of `show --format text`. */
function parseText(text) {
  const lines = text.split('\n');
  const confirm = [];
  const verify = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*- (\S+): (.*?)(\s+\[DESTRUCTIVE: confirmation required\])?$/.exec(lines[i]);
    if (!m) continue;
    const [, id, title, destructive] = m;
    const detail = [];
    for (let j = i + 1; j < lines.length && !/^\s*- |^\s*(Phase|Decision|when) /.test(lines[j]); j++)
      detail.push(lines[j].trim());
    const changes = detail.find((d) => d.startsWith('changes: '))?.slice(9);
    if (destructive) confirm.push(`- \`${id}\`: ${title}${changes ? ` — changes: ${changes}` : ''}`);
    if (detail.some((d) => d.includes('verified after')))
      verify.push(`- \`${id}\`: ${title} (checked with a deadline after its commands)`);
    else if (/^Verify|Key count|No --force-new-cluster/.test(title)) verify.push(`- \`${id}\`: ${title}`);
  }
  return { confirm, verify };
}

function doc(id) {
  const text = lifeboat('show', id, '--format', 'text').trimEnd();
  const mermaid = lifeboat('show', id, '--format', 'mermaid').trimEnd();
  const [title, , summary, , when] = text.split('\n');
  const n = NOTES[id] ?? { usage: `lifeboat run ${id} -i INVENTORY --yes`, notes: [], lab: '' };
  const { confirm, verify } = parseText(text);
  return `<!-- Generated by scripts/gen-runbook-docs.mjs from 'lifeboat show ${id}'; edit the runbook or the script, not this file. -->
# ${title.replace(/^[^:]+: /, '')} (\`${id}\`)

## Purpose
${summary}

${when}

\`\`\`
${n.usage}
\`\`\`

## When to use which runbook
${CHOOSE}

## Diagram
Generated from the compiled state machine (\`lifeboat show ${id} --format svg\`, laid out offline); destructive steps have a red dashed border.

![${id} state machine](${id}.svg)

The same as Mermaid source (\`lifeboat show ${id} --format mermaid\`):

\`\`\`mermaid
${mermaid}
\`\`\`

## Steps
Every command per host, in order, for a given inventory: \`lifeboat plan ${id} -i INVENTORY ...\` (add \`--probe\` to read the hosts first).

\`\`\`
${text.split('\n').slice(5).join('\n').trim()}
\`\`\`

## Verifications
${verify.join('\n') || '- (none)'}

## What the operator is asked to confirm
Each destructive step asks before it starts (on a terminal), or needs \`--yes\` / \`--approve STEP\`; without either, the run stops safely before the first one (exit 4) and \`lifeboat resume RUN_DIR --approve STEP\` continues. Approvals are recorded in the audit log.

${confirm.join('\n') || '- (none: this runbook changes nothing that needs a confirmation)'}

After a crash (even \`kill -9\` of Lifeboat), \`lifeboat resume RUN_DIR\` continues where it stopped: a step that was interrupted asks the host whether it already happened (its check) before running again; commands that outlived the crash on a host are waited for, not raced.

## Notes
${n.notes.map((x) => `- ${x}`).join('\n')}

## Proven on the lab
${n.lab}
`;
}

const ids = lifeboat('runbooks')
  .split('\n')
  .map((l) => /^(\S+)\s{2,}/.exec(l)?.[1])
  .filter(Boolean);
mkdirSync(outDir, { recursive: true });
let stale = 0;
const outputs = (id) => [
  [join(outDir, `${id}.md`), doc(id)],
  [join(outDir, `${id}.svg`), lifeboat('show', id, '--format', 'svg')],
];
for (const id of ids) {
  for (const [file, body] of outputs(id)) {
    if (check) {
      if (!existsSync(file) || readFileSync(file, 'utf8') !== body) {
        stale++;
        process.stderr.write(`out of date: ${file}\n`);
      }
    } else {
      writeFileSync(file, body);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
}
if (check && stale) process.exit(1);
