// `lifeboat diagnose -i INVENTORY`: read-only; exit 0 healthy, 1 degraded, 3 quorum lost.
import { oneOf, parse } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { loadInventory } from '../../inventory/load.js';
import { diagnose, type Diagnosis } from '../../etcd/diagnose.js';
import { gatherFacts } from '../../etcd/probe.js';
import { SshExecutor } from '../../ssh/index.js';
import { certLines, notes, storageLines } from './storage.js';
import { nextLine, nextMove } from '../../etcd/next.js';
import { sh } from '../../shell/sh.js';

const HELP = `Usage: lifeboat diagnose -i INVENTORY [--output text|json] [--accept-new-host-keys]

Reads (only reads) every member: member list, endpoint health and status (version, db size, leader, learner,
raft term and index), quorum verdict, alarms, db size, in-use size and quota (percent used, fragmentation),
etcd's certificates (expiry, days left, the member's address in the SANs),
and per-member key count and hashkv at one revision; each finding names the runbook to run.
The headline names the cause; the last line is the command to run next (JSON: cause, next).
Exit: 0 healthy, 1 degraded, 3 quorum lost, 2 bad input.`;

/** The alarm that made a member's health check fail (CORRUPT wins: it blocks writes everywhere). */
const alarmName = (lines: string[] | undefined) =>
  (lines ?? []).some((l) => l.includes('alarm:CORRUPT')) ? 'CORRUPT' : 'NOSPACE';

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function diagnosisText(d: Diagnosis, next?: { cause: string; line: string }): string {
  const head = [
    'MEMBER',
    'SSH',
    'ETCD',
    'HEALTHY',
    'VERSION',
    'DB SIZE',
    'LEADER',
    'LEARNER',
    'RAFT TERM',
    'RAFT INDEX',
    'REVISION',
    'KEYS',
    'HASHKV',
    'ERRORS',
  ];
  const ids = new Map((d.facts.memberList ?? []).map((m) => [m.id, m.name]));
  const rows = Object.entries(d.facts.members)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, f]) => {
      const s = f.status;
      const c = d.consistency.find((x) => x.member === name);
      return [
        name,
        f.reachable ? 'ok' : 'DOWN',
        f.etcdUp ? 'up' : 'down',
        f.healthy ? 'yes' : f.alarmOnly ? alarmName(f.alarms) : 'NO',
        s?.version ?? f.etcdVersion ?? '',
        s ? `${(s.dbSize / 1024).toFixed(0)} KiB` : '',
        s
          ? s.leader === '0'
            ? 'none'
            : s.leader === s.memberId
              ? `${name} *`
              : (ids.get(s.leader) ?? s.leader)
          : '',
        s ? String(s.isLearner) : '',
        s ? String(s.raftTerm) : '',
        s ? String(s.raftIndex) : '',
        s ? String(s.revision) : '',
        c?.keys === undefined ? '' : String(c.keys),
        c?.hash ?? '',
        f.reachable ? (c?.error ?? '') : (f.error ?? ''),
      ];
    });
  const members = (d.facts.memberList ?? []).map(
    (m) =>
      `  ${m.id}  ${m.name}  ${m.peerURLs.join(',')}  ${m.clientURLs.join(',') || '(unstarted)'}` +
      `${m.isLearner ? '  learner' : ''}`,
  );
  return [
    `cluster ${d.cluster}: ${headline(d, next?.cause)} — ${d.quorum.healthy}/${d.quorum.total} ` +
      `healthy, ${d.quorum.needed} needed for quorum`,
    '',
    'member list:',
    ...(members.length ? members : ['  (no member answered)']),
    '',
    table([head, ...rows]),
    '',
    d.revision === undefined
      ? 'consistency: no member answers'
      : `consistency at revision ${d.revision}: ` +
        `${d.disagreeing.length ? `DISAGREE: ${d.disagreeing.join(', ')}` : 'all answering members agree (keys and hashkv)'}`,
    ...storageLines(d),
    ...certLines(d),
    ...(d.reasons.length ? ['', 'findings:', ...d.reasons.map((r) => `  - ${r}`)] : []),
    ...notes(d),
    ...(next ? ['', `Next: ${next.line}`] : []),
  ].join('\n');
}

/** The cause first; the verdict after it when it says more (expired certificates that look like a lost quorum). */
function headline(d: Diagnosis, cause: string | undefined): string {
  const verdict = d.verdict.toUpperCase();
  if (!cause || cause === verdict || cause === 'HEALTHY' || cause === 'DEGRADED') return verdict;
  return d.verdict === 'healthy' ? cause : `${cause} (${verdict})`;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    'diagnose',
    argv,
    {
      inventory: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o' },
      'accept-new-host-keys': { type: 'boolean' },
    },
    false,
  );
  if (values.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  if (!values.inventory) throw usage('diagnose: -i INVENTORY is required', 'give the inventory file with -i');
  const output = oneOf('diagnose', 'output', values.output, ['text', 'json'] as const, 'text');
  const inv = loadInventory(values.inventory);
  const ex = new SshExecutor(inv, { acceptNewHostKeys: values['accept-new-host-keys'] === true });
  try {
    const facts = await gatherFacts(inv, ex, new Date());
    const d = await diagnose(inv, facts, ex);
    const move = nextMove(d);
    const next = { cause: move.cause, line: nextLine(move, sh`${values.inventory}`.text) };
    process.stdout.write(
      (output === 'json'
        ? JSON.stringify({ ...d, cause: move.cause, next: next.line }, null, 2)
        : diagnosisText(d, next)) + '\n',
    );
    return d.verdict === 'healthy' ? EXIT.ok : d.verdict === 'degraded' ? EXIT.failed : EXIT.quorumLost;
  } finally {
    await ex.close();
  }
}
