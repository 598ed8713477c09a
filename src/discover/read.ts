// Reads one host's etcd configuration as it really is: the static pod manifest, the etcd unit with its drop-ins and
// EnvironmentFile (etcd.conf), `docker inspect etcd`, the k3s unit. Read-only; every value keeps where it came from.
import { parse as parseYaml } from 'yaml';
import type { Topology } from '../inventory/schema.js';
import { sh } from '../shell/sh.js';

export interface Found {
  value: string;
  /** Where the value was read, for the inventory's comments. */
  from: string;
}

export interface HostConfig {
  hostname: string;
  topology: Topology;
  /** The file or command the configuration came from. */
  source: string;
  flags: Map<string, Found>;
  dataDir?: Found;
  tls?: { ca: Found; cert: Found; key: Found };
  /** static-pod: the manifest; systemd/k3s: the EnvironmentFile. */
  configPath?: Found;
  /** k3s-external: the k3s unit's --datastore-endpoint. */
  datastore?: Found;
  notes: string[];
}

const MARK = '@@lifeboat:';

const MANIFESTS = [
  '/etc/kubernetes/manifests/etcd.yaml',
  '/etc/kubernetes/manifests-stopped-by-lifeboat/etcd.yaml',
];
const hasUnit = (unit: string) =>
  sh`command -v systemctl >/dev/null 2>&1 && systemctl cat ${unit} >/dev/null 2>&1`;
const hasContainer = sh`command -v docker >/dev/null 2>&1 && docker inspect etcd >/dev/null 2>&1`;

/** The read-only script: each finding is printed after a `@@lifeboat:NAME@@` line. */
export const DISCOVERY_SCRIPT = sh.lines(
  sh`mark() { echo ${MARK}"$1"@@; }`,
  sh`mark hostname; hostname`,
  sh`for f in ${MANIFESTS}; do if [ -f "$f" ]; then mark "manifest $f"; cat "$f"; break; fi; done`,
  sh`[ -f /etc/kubernetes/pki/etcd/healthcheck-client.crt ] && { mark kubeadm-healthcheck-client; echo yes; }`,
  sh`if ${hasUnit('etcd.service')}; then mark etcd-unit; systemctl cat etcd.service`,
  sh`  for f in $(systemctl cat etcd.service | sed -n 's/^EnvironmentFile=-\\{0,1\\}//p'); do`,
  sh`    [ -f "$f" ] && { mark "envfile $f"; cat "$f"; }; done; fi`,
  sh`if ${hasContainer}; then mark docker-etcd; docker inspect etcd; fi`,
  sh`if ${hasUnit('k3s.service')}; then mark k3s-unit; systemctl cat k3s.service; fi`,
  sh`mark end`,
  sh`true`,
);

export function sections(out: string): Map<string, string> {
  const m = new Map<string, string>();
  let name: string | undefined;
  let buf: string[] = [];
  for (const line of out.split('\n')) {
    const hit = /^@@lifeboat:(.*)@@$/.exec(line);
    if (hit) {
      if (name !== undefined) m.set(name, buf.join('\n'));
      name = hit[1]!;
      buf = [];
    } else buf.push(line);
  }
  if (name !== undefined && name !== 'end') m.set(name, buf.join('\n'));
  return m;
}

/** `--flag=value` and `--flag value` words. */
function flagsOf(words: string[], from: string, into: Map<string, Found>): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const eq = /^--([a-z0-9-]+)=(.*)$/.exec(w);
    if (eq) into.set(eq[1]!, { value: eq[2]!, from });
    else if (/^--[a-z0-9-]+$/.test(w)) {
      const next = words[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        into.set(w.slice(2), { value: next, from });
        i++;
      } else into.set(w.slice(2), { value: 'true', from });
    }
  }
}

/** Shell-like words of a unit's ExecStart (quotes removed; `\` line continuations already joined). */
function words(s: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

const ENV = (flag: string) => `ETCD_${flag.toUpperCase().replace(/-/g, '_')}`;

function staticPod(
  path: string,
  text: string,
  healthcheck: boolean,
  notes: string[],
): Omit<HostConfig, 'hostname'> {
  const from = path;
  const pod = parseYaml(text) as {
    spec?: {
      containers?: Array<{
        name?: string;
        command?: string[];
        args?: string[];
        volumeMounts?: Array<{ name: string; mountPath: string }>;
      }>;
      volumes?: Array<{ name: string; hostPath?: { path: string } }>;
    };
  };
  const c = pod.spec?.containers?.find((x) => x.name === 'etcd') ?? pod.spec?.containers?.[0];
  const flags = new Map<string, Found>();
  flagsOf([...(c?.command ?? []), ...(c?.args ?? [])], from, flags);
  if (path.includes('manifests-stopped-by-lifeboat'))
    notes.push(`etcd is stopped: its manifest is parked at ${path}`);
  const manifest = path.replace('manifests-stopped-by-lifeboat', 'manifests');
  const hostPathOf = (p: string | undefined): Found | undefined => {
    if (!p) return undefined;
    for (const vm of c?.volumeMounts ?? []) {
      if (p === vm.mountPath || p.startsWith(`${vm.mountPath}/`)) {
        const hp = pod.spec?.volumes?.find((v) => v.name === vm.name)?.hostPath?.path;
        if (hp)
          return {
            value: hp + p.slice(vm.mountPath.length),
            from: `${from} (hostPath volume ${vm.name} at ${vm.mountPath})`,
          };
      }
    }
    return { value: p, from };
  };
  const ca = hostPathOf(flags.get('trusted-ca-file')?.value);
  const pki = ca ? ca.value.slice(0, ca.value.lastIndexOf('/')) : '/etc/kubernetes/pki/etcd';
  const cert = healthcheck
    ? {
        value: `${pki}/healthcheck-client.crt`,
        from: "kubeadm's healthcheck-client certificate (present on the host)",
      }
    : hostPathOf(flags.get('cert-file')?.value);
  const key = healthcheck
    ? {
        value: `${pki}/healthcheck-client.key`,
        from: "kubeadm's healthcheck-client key (present on the host)",
      }
    : hostPathOf(flags.get('key-file')?.value);
  const dataDir = hostPathOf(flags.get('data-dir')?.value);
  return {
    topology: 'static-pod',
    source: path,
    flags,
    ...(dataDir ? { dataDir } : {}),
    ...(ca && cert && key ? { tls: { ca, cert, key } } : {}),
    configPath: { value: manifest, from: 'the static pod manifest' },
    notes,
  };
}

/**
 * systemd: Environment=/EnvironmentFile (etcd.conf) and ExecStart flags, file by file as `systemctl
 * cat` shows them.
 */
function systemdUnit(
  unit: string,
  envFiles: Array<[string, string]>,
  notes: string[],
): Omit<HostConfig, 'hostname' | 'topology'> {
  const flags = new Map<string, Found>();
  const env = new Map<string, Found>();
  let file = 'etcd.service';
  let exec = '';
  let execFrom = '';
  for (const line0 of unit.replace(/\\\n/g, ' ').split('\n')) {
    const line = line0.trim();
    const hdr = /^# (\/\S+)$/.exec(line);
    if (hdr) {
      file = hdr[1]!;
      continue;
    }
    const kv = /^(Environment|ExecStart)=(.*)$/.exec(line);
    if (!kv) continue;
    if (kv[1] === 'Environment')
      for (const w of words(kv[2]!)) {
        const i = w.indexOf('=');
        if (i > 0) env.set(w.slice(0, i), { value: w.slice(i + 1), from: `Environment= in ${file}` });
      }
    else if (kv[2] === '') exec = '';
    else {
      exec = kv[2]!;
      execFrom = file;
    }
  }
  const fromEnvFile = new Map<string, Found>();
  for (const [path, text] of envFiles) {
    for (const line0 of text.split('\n')) {
      const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line0);
      if (!m) continue;
      let v = m[2]!;
      if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))
        v = v.slice(1, -1);
      fromEnvFile.set(m[1]!, { value: v, from: path });
    }
  }
  flagsOf(words(exec), `ExecStart in ${execFrom}`, flags);
  // EnvironmentFile first, Environment= (drop-ins) over it, flags over both (etcd 3.4 refuses a flag
  // shadowing a variable).
  const all = new Map<string, Found>([...fromEnvFile, ...env]);
  const val = (flag: string): Found | undefined => flags.get(flag) ?? all.get(ENV(flag));
  const merged = new Map<string, Found>();
  for (const [k, f] of all)
    if (k.startsWith('ETCD_')) merged.set(k.slice(5).toLowerCase().replace(/_/g, '-'), f);
  for (const [k, f] of flags) merged.set(k, f);
  const ca = val('trusted-ca-file');
  const cert = val('peer-cert-file') ?? val('cert-file');
  const key = val('peer-key-file') ?? val('key-file');
  const dataDir = val('data-dir');
  const conf = envFiles[0];
  if (all.get('ETCD_FORCE_NEW_CLUSTER')?.value === 'true' || flags.has('force-new-cluster'))
    notes.push('--force-new-cluster is set for the next start');
  return {
    source: conf ? `${conf[0]} and etcd.service` : 'etcd.service',
    flags: merged,
    ...(dataDir ? { dataDir } : {}),
    ...(ca && cert && key
      ? {
          tls: {
            ca,
            cert: {
              ...cert,
              from:
                `${cert.from} ` +
                `(${val('peer-cert-file') ? 'the peer certificate, which etcd.conf clients use (as OpenShift 3.x does)' : 'the server certificate'})`,
            },
            key,
          },
        }
      : {}),
    ...(conf ? { configPath: { value: conf[0], from: 'EnvironmentFile= of etcd.service' } } : {}),
    notes,
  };
}

interface Inspect {
  Path?: string;
  Args?: string[];
  Config?: { Env?: string[]; Image?: string };
  Mounts?: Array<{ Type?: string; Name?: string; Source: string; Destination: string }>;
  State?: { Running?: boolean };
}

function dockerEtcd(text: string, notes: string[]): Omit<HostConfig, 'hostname'> {
  const c = (JSON.parse(text) as Inspect[])[0] ?? {};
  const from = 'docker inspect etcd (.Args)';
  const flags = new Map<string, Found>();
  for (const e of c.Config?.Env ?? []) {
    const m = /^ETCD_([A-Z0-9_]+)=(.*)$/.exec(e);
    if (m)
      flags.set(m[1]!.toLowerCase().replace(/_/g, '-'), {
        value: m[2]!,
        from: 'docker inspect etcd (.Config.Env)',
      });
  }
  flagsOf(c.Args ?? [], from, flags);
  if (!c.State?.Running) notes.push('the etcd container is not running');
  const hostPath = (p: string | undefined): Found | undefined => {
    if (!p) return undefined;
    const mount = [...(c.Mounts ?? [])]
      .sort((a, b) => b.Destination.length - a.Destination.length)
      .find((x) => p === x.Destination || p.startsWith(`${x.Destination}/`));
    if (!mount) return { value: p, from: `${from}; not on a volume: inside the container only` };
    const what = mount.Type === 'volume' ? `volume ${mount.Name ?? ''}` : 'bind mount';
    return {
      value: mount.Source + p.slice(mount.Destination.length),
      from: `${from}, ${what} ${mount.Source} at ${mount.Destination}`,
    };
  };
  const dataDir = hostPath(flags.get('data-dir')?.value);
  const ca = hostPath(flags.get('trusted-ca-file')?.value);
  const cert = hostPath(flags.get('cert-file')?.value);
  const key = hostPath(flags.get('key-file')?.value);
  return {
    topology: 'docker',
    source: `docker container etcd (${c.Config?.Image ?? 'image?'})`,
    flags,
    ...(dataDir ? { dataDir } : {}),
    ...(ca && cert && key ? { tls: { ca, cert, key } } : {}),
    notes,
  };
}

function k3sEndpoint(unit: string): Found | undefined {
  let file = 'k3s.service';
  const joined = unit.replace(/\\\n/g, ' ');
  for (const line of joined.split('\n')) {
    const hdr = /^# (\/\S+)$/.exec(line.trim());
    if (hdr) file = hdr[1]!;
    const m = /^ExecStart=(.*)$/.exec(line.trim());
    if (!m) continue;
    const f = new Map<string, Found>();
    flagsOf(words(m[1]!), `--datastore-endpoint in ${file}`, f);
    const ds = f.get('datastore-endpoint');
    if (ds) return ds;
  }
  return undefined;
}

/** One host's configuration; undefined when nothing etcd-like was found. */
export function readHost(out: string): HostConfig | undefined {
  const s = sections(out);
  const hostname = (s.get('hostname') ?? '').trim();
  const notes: string[] = [];
  const manifest = [...s.keys()].find((k) => k.startsWith('manifest '));
  if (manifest)
    return {
      hostname,
      ...staticPod(manifest.slice(9), s.get(manifest) ?? '', s.has('kubeadm-healthcheck-client'), notes),
    };
  const docker = s.get('docker-etcd');
  if (docker !== undefined) return { hostname, ...dockerEtcd(docker, notes) };
  const unit = s.get('etcd-unit');
  if (unit !== undefined) {
    const envFiles = [...s.entries()]
      .filter(([k]) => k.startsWith('envfile '))
      .map(([k, v]): [string, string] => [k.slice(8), v]);
    const base = systemdUnit(unit, envFiles, notes);
    const k3s = s.get('k3s-unit');
    const ds = k3s === undefined ? undefined : k3sEndpoint(k3s);
    if (ds)
      return {
        hostname,
        topology: 'k3s-external',
        ...base,
        source: `${base.source}; k3s.service`,
        datastore: ds,
      };
    return { hostname, topology: 'systemd', ...base };
  }
  return undefined;
}
