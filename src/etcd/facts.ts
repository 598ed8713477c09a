// Facts: what a read-only probe learns about each host (tools, versions, etcd user, raft state).
import { posix } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
import { containerProbe, parseContainerFacts, type ContainerFacts } from '../platform/containers.js';
import { metricsScript, parseMetrics } from './storage.js';
import type { CertInfo } from './certcheck.js';

export interface EtcdStatus {
  memberId: string; // hex
  leader: string; // hex
  raftIndex: number;
  raftTerm: number;
  revision: number;
  dbSize: number;
  version: string;
  isLearner: boolean;
}

export interface MemberFacts {
  reachable: boolean;
  error?: string;
  hostname?: string;
  etcdVersion?: string;
  etcdctl?: string;
  etcdctlVersion?: string;
  etcdutl?: string;
  etcdutlVersion?: string;
  /** Only when etcdctl is not on the host: the etcd container or image to run the tools from. */
  containers?: ContainerFacts;
  etcdUser?: string;
  dataDirExists?: boolean;
  etcdUp?: boolean;
  healthy?: boolean;
  /** `endpoint health` failed only because the NOSPACE or CORRUPT alarm is raised (etcd 3.5+): it answers and votes. */
  alarmOnly?: boolean;
  status?: EtcdStatus;
  /** `etcdctl alarm list` lines as this member answered them ("memberID:N alarm:NOSPACE"). */
  alarms?: string[];
  /** The size gauges of its /metrics (quota, db size, in use), when curl and the endpoint answer. */
  metrics?: Record<string, number>;
  /** The cluster version this member reports (etcd_cluster_version, "3.6"): behind the binaries mid-upgrade. */
  clusterVersion?: string;
  /** --experimental-* flags (or ETCD_EXPERIMENTAL_* variables) in etcd's configuration, as NAME=VALUE (3.7 refuses
   *  the flags and ignores the variables). */
  experimentalFlags?: string[];
  /** The --feature-gates value (or ETCD_FEATURE_GATES) in etcd's configuration: "InitialCorruptCheck=true". */
  featureGates?: string;
}

export interface ListedMember {
  id: string; // hex
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface Facts {
  probed: boolean;
  collectedAt?: string;
  members: Record<string, MemberFacts>;
  memberList?: ListedMember[];
  /** etcd's certificates on each reachable member, as the probe read them (gates and diagnose decide from them). */
  certificates?: CertInfo[];
}

export const NO_FACTS: Facts = { probed: false, members: {} };

/** Health, status, member list and alarms through `ctl`, as sections; at once when a temporary folder can be made. */
export function etcdAnswers(ctl: Script): Script {
  return sh.lines(
    // At once: without quorum health, member list (3.5) and alarm list each wait the 3 s command timeout.
    sh`  if t=$(mktemp -d 2>/dev/null) && [ -d "$t" ]; then`,
    sh`    ${ctl} endpoint health >"$t/h" 2>&1 & hp=$!`,
    sh`    ${ctl} endpoint status -w json >"$t/s" 2>/dev/null &`,
    sh`    ${ctl} member list -w json >"$t/m" 2>/dev/null &`,
    sh`    ${ctl} alarm list >"$t/a" 2>/dev/null &`,
    sh`    wait "$hp"; hc=$?; wait`,
    sh`    p_h=$(cat "$t/h"); p_s=$(cat "$t/s"); p_m=$(cat "$t/m"); p_a=$(cat "$t/a")`,
    sh`    rm -f "$t/h" "$t/s" "$t/m" "$t/a"; rmdir "$t"`,
    sh`  else`,
    // No temporary folder (a full or read-only /tmp): the same questions one after another.
    sh`    p_h=$(${ctl} endpoint health 2>&1); hc=$?`,
    sh`    p_s=$(${ctl} endpoint status -w json 2>/dev/null); p_m=$(${ctl} member list -w json 2>/dev/null)`,
    sh`    p_a=$(${ctl} alarm list 2>/dev/null)`,
    sh`  fi`,
    // etcd 3.5's health check fails on any alarm: a member refusing only because of NOSPACE or CORRUPT still votes.
    sh.join(
      [
        sh`  if [ "$hc" -eq 0 ]; then echo healthy=1; else case "$p_h" in *'Active`,
        sh`Alarm(s): NOSPACE'*|*'Active Alarm(s): '*CORRUPT*|*'corrupt cluster'*) echo alarm_only=1;;`,
        sh`esac; fi`,
      ],
      ' ',
    ),
    sh`  echo '--status--'; printf '%s\n' "$p_s"`,
    sh`  echo '--members--'; printf '%s\n' "$p_m"`,
    sh`  echo '--alarms--'; printf '%s\n' "$p_a"`,
  );
}

/** The --experimental-* flags and ETCD_EXPERIMENTAL_* variables in the manifest, etcd.conf and unit drop-ins, and the
 *  --feature-gates value. */
function experimentalProbe(m: ResolvedMember): Script {
  const parkDir = `${posix.dirname(posix.dirname(m.manifest))}/manifests-stopped-by-lifeboat`;
  const park = `${parkDir}/${posix.basename(m.manifest)}`;
  return sh`
    # etcd 3.7 refuses --experimental-* flags: name the ones its configuration still carries
    for f in ${m.manifest} ${park} ${m.config} /etc/systemd/system/etcd.service.d/*.conf; do
      [ -f "$f" ] && grep -hoE -- \
        '--experimental-[a-z0-9-]+(=[A-Za-z0-9._:/,=-]*)?|ETCD_EXPERIMENTAL_[A-Z0-9_]+=[A-Za-z0-9._:/,=-]*' "$f"
    done 2>/dev/null | sort -u | sed 's/^/experimental_flag=/'
    # the feature gates already set, which the gates of migrated flags join
    for f in ${m.manifest} ${park} ${m.config}; do
      [ -f "$f" ] && grep -hoE -- \
        '(--feature-gates=|ETCD_FEATURE_GATES=)[A-Za-z0-9]+=[A-Za-z0-9]+(,[A-Za-z0-9]+=[A-Za-z0-9]+)*' "$f"
    done 2>/dev/null | head -n1 | sed 's/^[^=]*=/feature_gates=/'`;
}

/** The read-only probe run on each host; prints key=value lines and JSON blocks between markers. */
export function probeScript(m: ResolvedMember): string {
  const ctl = sh.join(
    [
      sh`timeout 5 $E --endpoints=${m.clientURL} --cacert=${m.tls.ca} --cert=${m.tls.cert}`,
      sh`--key=${m.tls.key} --command-timeout=3s`,
    ],
    ' ',
  );
  const port = new URL(m.clientURL).port || '2379';
  const version = (tool: string): Script => sh`sed -n ${`s/^${tool} version: //p`}`;
  return sh.lines(
    sh`export ETCDCTL_API=3`,
    sh`echo "hostname=$(hostname)"`,
    sh.join(
      [
        sh`command -v etcd >/dev/null 2>&1`,
        sh`echo "etcd_version=$(etcd --version 2>/dev/null | sed -n "s/^etcd Version: //p")"`,
      ],
      ' && ',
    ),
    sh.join(
      [
        sh`ctl=$(command -v etcdctl 2>/dev/null) && echo "etcdctl=$ctl"`,
        sh`echo "etcdctl_version=$(etcdctl version 2>/dev/null | ${version('etcdctl')})"`,
      ],
      ' && ',
    ),
    sh.join(
      [
        sh`utl=$(command -v etcdutl 2>/dev/null) && echo "etcdutl=$utl"`,
        sh`echo "etcdutl_version=$(etcdutl version 2>/dev/null | ${version('etcdutl')})"`,
      ],
      ' && ',
    ),
    containerProbe(m),
    experimentalProbe(m),
    sh`[ -d ${m.dataDir + '/member'} ] && echo data_dir_exists=1`,
    // The user etcd runs as: the owner of the process listening on this member's client port, else the
    // data dir's owner.
    sh.join(
      [
        sh`pid=$(ss -Hltnp 2>/dev/null | grep -F ${`${m.address}:${port} `}`,
        sh`sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p' | head -n1)`,
      ],
      ' | ',
    ),
    sh`[ -n "$pid" ] && echo "etcd_up=1" && echo "etcd_user=$(ps -o user= -p "$pid" | tr -d " ")"`,
    sh`[ -z "$pid" ] && [ -e ${m.dataDir} ] && echo "etcd_user=$(stat -c %U ${m.dataDir})"`,
    sh`if [ -n "$E" ] && [ -n "$pid" ]; then`,
    etcdAnswers(ctl),
    sh`  echo '--metrics--'; ${metricsScript(m)}; echo`,
    sh`fi`,
    sh`true`,
  ).text;
}

/** Quotes uint64 numbers so JSON.parse keeps every digit (etcd IDs exceed 2^53). */
function parseBigJson(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}

export const toHex = (id: string | number): string => BigInt(id).toString(16);

function section(out: string, name: string): string | undefined {
  const start = out.indexOf(`--${name}--\n`);
  if (start < 0) return undefined;
  const rest = out.slice(start + name.length + 5);
  const end = rest.indexOf('\n--');
  const body = (end < 0 ? rest : rest.slice(0, end)).trim();
  return body || undefined;
}

export function parseProbe(out: string): { facts: MemberFacts; members?: ListedMember[] } {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([a-z_]+)=(.*)$/.exec(line);
    if (m && m[1] && m[2] !== undefined) kv.set(m[1], m[2]);
  }
  const f: MemberFacts = {
    reachable: true,
    etcdUp: kv.has('etcd_up'),
    healthy: kv.has('healthy'),
    dataDirExists: kv.has('data_dir_exists'),
  };
  if (kv.has('alarm_only')) f.alarmOnly = true;
  const set = (k: keyof MemberFacts, key: string) => {
    const v = kv.get(key);
    if (v) (f as unknown as Record<string, unknown>)[k] = v;
  };
  set('hostname', 'hostname');
  set('etcdVersion', 'etcd_version');
  set('etcdctl', 'etcdctl');
  set('etcdctlVersion', 'etcdctl_version');
  set('etcdutl', 'etcdutl');
  set('etcdutlVersion', 'etcdutl_version');
  set('etcdUser', 'etcd_user');
  set('featureGates', 'feature_gates');
  const ctr = parseContainerFacts(kv);
  if (ctr) f.containers = ctr;
  const st = section(out, 'status');
  if (st) {
    try {
      const arr = parseBigJson(st) as Array<{
        Status: Record<string, unknown> & { header: Record<string, string | number> };
      }>;
      const s = arr[0]?.Status;
      if (s) {
        f.status = {
          memberId: toHex(s.header.member_id ?? 0),
          leader: toHex((s.leader as string | number | undefined) ?? 0),
          raftIndex: Number(s.raftIndex ?? 0),
          raftTerm: Number(s.raftTerm ?? 0),
          revision: Number(s.header.revision ?? 0),
          dbSize: Number(s.dbSize ?? 0),
          version: String(s.version ?? ''),
          isLearner: Boolean(s.isLearner),
        };
      }
    } catch {
      // A partial answer from a dying member is not a fact; leave status unset.
    }
  }
  const al = section(out, 'alarms');
  if (st)
    f.alarms = (al ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('memberID'));
  const metricsText = section(out, 'metrics') ?? '';
  const me = parseMetrics(metricsText);
  if (Object.keys(me).length) f.metrics = me;
  const cv = /^etcd_cluster_version\{cluster_version="(\d+\.\d+)"\} 1$/m.exec(metricsText)?.[1];
  if (cv) f.clusterVersion = cv;
  const flags = parseExperimental(out);
  if (flags.length) f.experimentalFlags = flags;
  let members: ListedMember[] | undefined;
  const ml = section(out, 'members');
  if (ml) {
    try {
      const doc = parseBigJson(ml) as { members?: Array<Record<string, unknown>> };
      members = (doc.members ?? []).map((x) => ({
        id: toHex((x.ID as string | number | undefined) ?? 0),
        name: String(x.name ?? ''),
        peerURLs: (x.peerURLs as string[] | undefined) ?? [],
        clientURLs: (x.clientURLs as string[] | undefined) ?? [],
        isLearner: Boolean(x.isLearner),
      }));
    } catch {
      members = undefined;
    }
  }
  return members ? { facts: f, members } : { facts: f };
}

/** experimental_flag= lines as NAME=VALUE flag names (ETCD_EXPERIMENTAL_X_Y=V -> experimental-x-y=V). */
function parseExperimental(out: string): string[] {
  const found = new Set<string>();
  for (const line of out.split('\n')) {
    const flag = /^experimental_flag=--(experimental-[a-z0-9-]+(?:=\S*)?)$/.exec(line)?.[1];
    const env = /^experimental_flag=ETCD_(EXPERIMENTAL_[A-Z0-9_]+)=(\S*)$/.exec(line);
    if (flag) found.add(flag);
    else if (env?.[1]) found.add(`${env[1].toLowerCase().replace(/_/g, '-')}=${env[2] ?? ''}`);
  }
  return [...found].sort();
}

export interface QuorumVerdict {
  total: number;
  healthy: number;
  needed: number;
  lost: boolean;
}

export function quorum(facts: Facts, memberNames: string[]): QuorumVerdict {
  const total = memberNames.length;
  // A member that refuses writes only because of the NOSPACE alarm still has its vote: quorum is not lost.
  const healthy = memberNames.filter((n) => facts.members[n]?.healthy || facts.members[n]?.alarmOnly).length;
  const needed = Math.floor(total / 2) + 1;
  return { total, healthy, needed, lost: healthy < needed };
}

/** The member to rebuild from: highest raft index among those that answer, else one that still has data. */
export function chooseSurvivor(
  facts: Facts,
  memberNames: string[],
  preferred?: string,
): { name: string; why: string } | undefined {
  if (preferred) return { name: preferred, why: `chosen by the operator (--set survivor=${preferred})` };
  const answering = memberNames
    .map((n) => ({ n, s: facts.members[n]?.status }))
    .filter((x): x is { n: string; s: EtcdStatus } => x.s !== undefined)
    .sort((a, b) => b.s.raftIndex - a.s.raftIndex || a.n.localeCompare(b.n));
  const best = answering[0];
  if (best) {
    const table = answering.map((x) => `${x.n}=${x.s.raftIndex}`).join(', ');
    return { name: best.n, why: `highest raft index among members that answer (${table})` };
  }
  const withData = memberNames.filter((n) => facts.members[n]?.dataDirExists);
  const first = withData[0];
  if (first)
    return {
      name: first,
      why: `no member answers; ${first} is the first whose data dir is intact (${withData.join(', ')})`,
    };
  return undefined;
}
