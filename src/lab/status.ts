// lab status: per member, is the host up, does sshd answer, does etcd answer and is it part of a
// quorum, leader, raft index, revision.
import { connect } from 'node:net';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { EtcdClient } from './grpc.js';
import { initPid } from './hosts.js';
import { run } from './proc.js';
import { asLab } from './state.js';
import type { Lab, LabMember, LabStatus, MemberStatus } from './types.js';

/** True when something at address:22 speaks SSH within the deadline. */
export function sshBanner(address: string, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port: 22 });
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.on('data', (d) => done(d.toString().startsWith('SSH-')));
    s.on('error', () => done(false));
  });
}

/** jump mode: the members' sshd answer only in the bastion's network; look for the banner from inside it. */
export async function sshBannerInLab(lab: Lab, address: string, timeoutMs = 1500): Promise<boolean> {
  if (!lab.bastion) return sshBanner(address, timeoutMs);
  const pid = initPid(lab, lab.bastion.name);
  if (pid === null) return false;
  const secs = (timeoutMs / 1000).toFixed(1);
  const r = await run(
    'nsenter',
    [
      '--target',
      String(pid),
      '--net',
      '--',
      'timeout',
      secs,
      'bash',
      '-c',
      `exec 3<>/dev/tcp/${address}/22 && head -c 4 <&3`,
    ],
    { timeoutMs: timeoutMs + 2000 },
  );
  return r.stdout.startsWith('SSH-');
}

function apiserverReport(
  lab: Lab,
  m: LabMember,
): Promise<{ running: boolean; ok: boolean; error: string | null }> {
  // The real API server says on /readyz (open to anonymous clients) whether it serves, etcd included.
  const real = lab.controlPlane === 'real';
  return new Promise((resolve) => {
    const req = request(
      {
        host: m.address,
        port: 6443,
        path: real ? '/readyz' : '/lab/status',
        ca: readFileSync(lab.kubeCa),
        timeout: 1500,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          if (real) {
            const failed = body.split('\n').filter((l) => l.startsWith('[-]'));
            const error = res.statusCode === 200 ? null : failed.join('; ') || `readyz ${res.statusCode}`;
            resolve({ running: true, ok: res.statusCode === 200, error });
            return;
          }
          try {
            const r = JSON.parse(body) as { ok: boolean; error: string | null };
            resolve({ running: true, ok: r.ok, error: r.error });
          } catch {
            resolve({ running: true, ok: false, error: 'unreadable report' });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ running: false, ok: false, error: err.message }));
    req.end();
  });
}

async function memberStatus(
  lab: Lab,
  m: LabMember,
): Promise<MemberStatus & { memberId: bigint | null; leaderId: bigint | null }> {
  const hostUp = initPid(lab, m.name) !== null;
  const out = {
    name: m.name,
    address: m.address,
    hostUp,
    sshdUp: false,
    etcdUp: false,
    healthy: false,
    isLeader: false,
    leader: null as string | null,
    raftIndex: null as number | null,
    revision: null as number | null,
    dbSize: null as number | null,
    version: null as string | null,
    error: null as string | null,
    memberId: null as bigint | null,
    leaderId: null as bigint | null,
  };
  const c = new EtcdClient(m.clientURL, lab.client);
  try {
    const [ssh, st] = await Promise.all([
      sshBannerInLab(lab, m.address),
      c.status(1500).catch((e: Error) => e),
    ]);
    out.sshdUp = ssh;
    if (st instanceof Error) out.error = st.message;
    else {
      out.etcdUp = true;
      out.raftIndex = st.raftIndex;
      out.revision = st.revision;
      out.dbSize = st.dbSize;
      out.version = st.version;
      out.memberId = st.memberId;
      out.leaderId = st.leader === 0n ? null : st.leader;
      out.isLeader = st.leader !== 0n && st.leader === st.memberId;
      if (st.errors.length) out.error = st.errors.join('; ');
      try {
        await c.range('health', null, { timeoutMs: 2000 }); // what `etcdctl endpoint health` does: a linearizable read
        out.healthy = true;
      } catch (err) {
        out.error = (err as Error).message;
      }
    }
  } finally {
    c.close();
  }
  return out;
}

export async function labStatus(labOrDir: Lab | string): Promise<LabStatus> {
  const lab = asLab(labOrDir);
  const rows = await Promise.all(lab.members.map((m) => memberStatus(lab, m)));
  const names = new Map(rows.filter((r) => r.memberId !== null).map((r) => [r.memberId!, r.name]));
  const apis =
    lab.mode !== 'systemd' ? await Promise.all(lab.members.map((m) => apiserverReport(lab, m))) : [];
  const members: MemberStatus[] = rows.map(({ memberId: _id, leaderId, ...r }, i) => ({
    ...r,
    leader: leaderId === null ? null : (names.get(leaderId) ?? leaderId.toString(16)),
    ...(apis[i] ? { apiserver: apis[i] } : {}),
  }));
  return { dir: lab.dir, mode: lab.mode, subnet: lab.subnet, members };
}

export function formatStatus(s: LabStatus): string {
  const head = [
    'MEMBER',
    'ADDRESS',
    'HOST',
    'SSHD',
    'ETCD',
    'HEALTHY',
    'LEADER',
    'RAFT INDEX',
    'REVISION',
    'VERSION',
    ...(s.mode !== 'systemd' ? ['APISERVER'] : []),
  ];
  const yn = (b: boolean) => (b ? 'up' : 'down');
  const rows = s.members.map((m) => [
    m.name,
    m.address,
    yn(m.hostUp),
    yn(m.sshdUp),
    yn(m.etcdUp),
    m.healthy ? 'yes' : 'no',
    m.isLeader ? `${m.leader} *` : (m.leader ?? '-'),
    m.raftIndex === null ? '-' : String(m.raftIndex),
    m.revision === null ? '-' : String(m.revision),
    m.version ?? '-',
    ...(s.mode !== 'systemd'
      ? [m.apiserver ? (m.apiserver.ok ? 'ok' : m.apiserver.running ? 'no etcd' : 'down') : '-']
      : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [`lab ${s.dir} (${s.mode}, ${s.subnet}.0/24)`, line(head), ...rows.map(line)].join('\n');
}
