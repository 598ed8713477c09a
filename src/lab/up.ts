// lab up: claim addresses, make PKI and host filesystems, start every host, wait until etcd is healthy,
// seed, write the inventory.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { refused, usage } from '../errors/error.js';
import { claimSubnet, parseSubnet, releaseSubnet } from './claim.js';
import { labDown } from './down.js';
import { buildHost } from './hostfs.js';
import { hostPids, hostReady, initPid, startHost } from './hosts.js';
import { HOST_BINDS, hostDir, imagesDir, labFile, logDir, stateDir, standinsDir } from './paths.js';
import { apiserverImage } from './modes.js';
import { issue, makeCa, sshKey, writeKnownHosts } from './pki.js';
import { preflight } from './preflight.js';
import { checkQuota } from './incidents.js';
import { alive } from './proc.js';
import { labDirOf, readLab, writeLab } from './state.js';
import { labStatus } from './status.js';
import { writeInventory } from './inventory.js';
import { seedLab } from './seed.js';
import { seedControlPlaneEndpoints } from './slices.js';
import { waitFor } from './wait.js';
import {
  CONTROL_PLANES,
  DEFAULT_ETCD_VERSION,
  ETCD_VERSIONS,
  LAB_MODES,
  LAB_SIZES,
  ROOT_ACCESS,
  type Lab,
  type LabMember,
  type LabUpOptions,
} from './types.js';
import { stageEtcd } from './etcdbin.js';
import { requireKubeBins } from './kubebin.js';
import { kubeconfig, makeKubeMaterial, type KubeMaterial } from './kube.js';
import { seedThroughApi } from './seed-kube.js';
import { BASTION, OPS_USER, accessLabel } from './access.js';
import { buildBastion } from './bastion.js';

function tail(file: string, n = 5): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** systemd mode: the etcd unit's state as the systemd stand-in recorded it. */
function unitState(dir: string, name: string): string | null {
  try {
    return (
      JSON.parse(readFileSync(join(stateDir(dir, name), 'units', 'etcd.service.json'), 'utf8')) as {
        activeState: string;
      }
    ).activeState;
  } catch {
    return null;
  }
}

/** Empties `dir` for a new lab: only a folder that is empty or holds a lab that is not running. */
function prepareDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (existsSync(labFile(dir))) {
    const old = readLab(dir);
    if (hostPids(old).length > 0)
      throw refused(
        `lab: a lab is already running in ${dir}`,
        `run 'lifeboat lab down --dir ${dir}' first, or pick another --dir`,
      );
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (readdirSync(dir).length > 0)
    throw refused(`lab: ${dir} is not empty and holds no lab`, 'pass an empty or new folder with --dir');
}

type Log = (line: string) => void;
type EtcdVersion = (typeof ETCD_VERSIONS)[number];

/** The options' size, mode and etcd version, each checked against what the lab can build. */
function checkOptions(opts: LabUpOptions) {
  const size = opts.members ?? 3;
  if (!(LAB_SIZES as readonly number[]).includes(size))
    throw usage(`lab: --members ${size} is not one of 3, 5, 7`, 'use --members 3|5|7');
  const mode = opts.mode ?? 'static-pod';
  if (!LAB_MODES.includes(mode))
    throw usage(
      `lab: --mode ${String(mode)} is not one of ${LAB_MODES.join(', ')}`,
      `use --mode ${LAB_MODES.join('|')}`,
    );
  const controlPlane = opts.controlPlane ?? 'stand-in';
  if (!CONTROL_PLANES.includes(controlPlane))
    throw usage(
      `lab: --control-plane ${String(controlPlane)} is not real or stand-in`,
      'use --control-plane real|stand-in',
    );
  if (controlPlane === 'real' && (mode !== 'static-pod' || opts.bare))
    throw usage(
      `lab: --control-plane real runs in static-pod mode only (not ${opts.bare ? '--bare' : mode})`,
      'drop --control-plane real, or use --mode static-pod',
    );
  const kube = controlPlane === 'real' ? requireKubeBins() : undefined;
  const etcdVersion = opts.etcdVersion ?? DEFAULT_ETCD_VERSION;
  if (!ETCD_VERSIONS.includes(etcdVersion))
    throw usage(
      `lab: --etcd-version ${String(etcdVersion)} is not one of ${ETCD_VERSIONS.join(', ')}`,
      `use --etcd-version ${ETCD_VERSIONS.join('|')}`,
    );
  if (opts.bare && (mode !== 'static-pod' || opts.seedData))
    throw usage(
      'lab: --bare is for static-pod hosts without --seed-data',
      'drop --mode/--seed-data with --bare',
    );
  return { size, mode, etcdVersion, kube };
}

/** Members cp-1..cp-N at SUBNET.11 and up. */
function labMembers(dir: string, subnet: string, size: number): LabMember[] {
  return Array.from({ length: size }, (_, i) => {
    const address = `${subnet}.${11 + i}`;
    const name = `cp-${i + 1}`;
    return {
      name,
      address,
      clientURL: `https://${address}:2379`,
      peerURL: `https://${address}:2380`,
      hostDir: hostDir(dir, name),
    };
  });
}

/** The lab's state as lab.json holds it, before anything is built. */
function newLab(o: {
  id: string;
  dir: string;
  mode: Lab['mode'];
  subnet: string;
  members: LabMember[];
  noEtcdctl: string[];
  opts: LabUpOptions;
}): Lab {
  const { id, dir, subnet, opts } = o;
  const access = opts.access ?? ROOT_ACCESS;
  return {
    id,
    dir,
    mode: o.mode,
    subnet,
    cluster: `lab-${subnet.replace(/\./g, '-')}`,
    members: o.members,
    inventoryPath: join(dir, 'inventory.yaml'),
    manifestPath: join(dir, 'data-manifest.json'),
    client: {
      ca: join(dir, 'pki', 'etcd-ca.crt'),
      cert: join(dir, 'pki', 'admin-client.crt'),
      key: join(dir, 'pki', 'admin-client.key'),
    },
    kubeCa: join(dir, 'pki', 'kubernetes-ca.crt'),
    ssh: {
      identityFile: join(dir, 'ssh', 'id_ed25519'),
      knownHosts: join(dir, 'ssh', 'known_hosts'),
      user: access.sudo ? OPS_USER : 'root',
    },
    access,
    ...(access.jump
      ? {
          bastion: { name: BASTION, address: `${subnet}.10`, hostDir: hostDir(dir, BASTION), user: OPS_USER },
        }
      : {}),
    ...(o.noEtcdctl.length ? { noEtcdctl: o.noEtcdctl } : {}),
    ...(opts.quotaBytes ? { quotaBytes: opts.quotaBytes } : {}),
    seeded: false,
    ...(opts.bare ? { bare: true } : {}),
    createdAt: new Date().toISOString(),
    starterPid: process.pid,
  };
}

/** PKI, the etcd release, every host's (and the bastion's) files, and known_hosts. */
async function buildFiles(
  lab: Lab,
  opts: LabUpOptions,
  etcdVersion: EtcdVersion,
  bins?: { version: string; bin: string },
): Promise<void> {
  const { dir, id, mode, members } = lab;
  // empty mount points on the real root (/backup, /usr/local/sbin)
  for (const p of HOST_BINDS) mkdirSync(p, { recursive: true });
  const [etcdCa, kubeCa] = await Promise.all([
    makeCa(join(dir, 'pki'), 'etcd-ca', 'etcd-ca'),
    makeCa(join(dir, 'pki'), 'kubernetes-ca', 'kubernetes'),
  ]);
  // RKE (docker mode) has one kube-ca for etcd and the API server: the kubernetes CA is the etcd CA there.
  if (mode === 'docker') for (const f of ['crt', 'key'] as const) copyFileSync(etcdCa[f], kubeCa[f]);
  const [, clientPub] = await Promise.all([
    issue(etcdCa, {
      out: join(dir, 'pki', 'admin-client'),
      cn: 'lifeboat-lab-admin',
      org: 'system:masters',
      server: false,
      client: true,
    }),
    sshKey(lab.ssh.identityFile, `lifeboat-lab-${id}`),
  ]);
  // The etcd "image" (where `crictl exec` and `docker run` find its tools) doubles as the folder laid over /usr/bin.
  const kube = bins ? await realControlPlane(lab, kubeCa, bins) : undefined;
  const etcdBin = join(imagesDir(dir), 'etcd', 'usr', 'local', 'bin');
  const rel = stageEtcd(etcdVersion, etcdBin);
  lab.etcd = { version: etcdVersion, ...rel };
  writeLab(lab);
  if (mode === 'docker') apiserverImage(imagesDir(dir), process.execPath, standinsDir());
  const authorizedKeys = join(dir, 'ssh', 'authorized_keys');
  writeFileSync(authorizedKeys, clientPub + '\n', { mode: 0o600 });
  const noEtcdctl = lab.noEtcdctl ?? [];
  const hostKeys = await Promise.all(
    members.map((m) =>
      buildHost({
        dir,
        labId: id,
        mode,
        m,
        members,
        cas: { etcd: etcdCa, kube: kubeCa },
        authorizedKeys,
        access: lab.access ?? ROOT_ACCESS,
        noEtcdctl: noEtcdctl.includes(m.name),
        etcd: { image: rel.image, bin: etcdBin, version: etcdVersion },
        ...(opts.quotaBytes ? { quotaBytes: opts.quotaBytes } : {}),
        leases: opts.leases === true,
        bare: opts.bare === true,
        ...(kube ? { kube } : {}),
      }),
    ),
  );
  const bastionKey = lab.bastion
    ? await buildBastion({ dir, labId: id, address: lab.bastion.address, members, authorizedKeys })
    : undefined;
  writeKnownHosts(lab.ssh.knownHosts, [
    ...members.map((m, i) => ({ address: m.address, pub: hostKeys[i]! })),
    ...(lab.bastion && bastionKey ? [{ address: lab.bastion.address, pub: bastionKey }] : []),
  ]);
}

/** The real control plane's lab-wide material and DIR/admin.conf (naming the first member's API server). */
async function realControlPlane(
  lab: Lab,
  ca: { crt: string; key: string },
  bins: { version: string; bin: string },
): Promise<KubeMaterial> {
  const k = await makeKubeMaterial(join(lab.dir, 'pki'), ca, bins);
  const adminConf = join(lab.dir, 'admin.conf');
  writeFileSync(adminConf, kubeconfig(`https://${lab.members[0]!.address}:6443`, k, 'admin'), {
    mode: 0o600,
  });
  lab.controlPlane = 'real';
  lab.kube = { ...bins, adminConf };
  return k;
}

/** jump: the bastion boots first, in its own network namespace; returns an fd of that namespace. */
async function bootBastion(lab: Lab): Promise<number | undefined> {
  if (!lab.bastion) return undefined;
  const { dir } = lab;
  const b = lab.bastion;
  const mainNet = openSync('/proc/self/ns/net', 'r');
  const pid = startHost(dir, b.name, { ownNetwork: true, fd3: mainNet });
  closeSync(mainNet);
  const init = await waitFor(
    () => {
      if (!hostReady(dir, b.name) && !alive(pid))
        throw new Error(`bastion exited during boot: ${tail(join(logDir(dir, b.name), 'init.log'))}`);
      return hostReady(dir, b.name) ? initPid(lab, b.name) : null;
    },
    { timeoutMs: 15_000, intervalMs: 50, what: 'the bastion to boot' },
  );
  return openSync(`/proc/${init}/ns/net`, 'r');
}

/** Every host started (in the bastion's private network with jump) and booted; one that dies says why. */
async function bootHosts(lab: Lab): Promise<void> {
  const { dir, members } = lab;
  const privateNet = await bootBastion(lab);
  const starters = members.map((m) => ({
    m,
    pid: startHost(dir, m.name, privateNet === undefined ? {} : { fd3: privateNet }),
  }));
  if (privateNet !== undefined) closeSync(privateNet);
  await waitFor(
    () => {
      for (const s of starters) {
        if (!hostReady(dir, s.m.name) && !alive(s.pid))
          throw new Error(
            `host ${s.m.name} exited during boot: ${tail(join(logDir(dir, s.m.name), 'init.log'))}`,
          );
      }
      return starters.every((s) => hostReady(dir, s.m.name) && initPid(lab, s.m.name) !== null);
    },
    { timeoutMs: 15_000, intervalMs: 50, what: 'hosts to boot' },
  ).catch((err: Error) => {
    throw new Error(`lab: ${err.message}`);
  });
}

/** The etcd log of a member as its mode keeps it. */
const etcdLogOf = (lab: Lab, m: LabMember) =>
  join(
    logDir(lab.dir, m.name),
    lab.mode === 'static-pod'
      ? `etcd-${m.name}_etcd.log`
      : lab.mode === 'docker'
        ? 'docker-etcd.log'
        : 'etcd.service.log',
  );

/** Waits for etcd healthy with a leader, sshd and (but systemd mode) the API server up, and the units active. */
async function waitHealthy(lab: Lab): Promise<void> {
  // Three real API servers starting together on a shared 2-core machine take tens of seconds.
  const timeoutMs = lab.controlPlane === 'real' ? 240_000 : 45_000;
  const { dir, mode } = lab;
  const units = mode === 'systemd' || mode === 'k3s-external';
  const apis = mode !== 'systemd';
  await waitFor(
    async () => {
      const st = await labStatus(lab);
      const why = (m: (typeof st.members)[number]) =>
        !m.sshdUp
          ? 'sshd down'
          : !m.healthy
            ? (m.error ?? 'etcd not healthy')
            : apis && !m.apiserver?.ok
              ? 'apiserver not ready'
              : 'etcd.service not active yet';
      const bad = st.members.filter(
        (m) =>
          !m.healthy ||
          !m.sshdUp ||
          (apis && !m.apiserver?.ok) ||
          (units && unitState(dir, m.name) !== 'active'),
      );
      if (bad.length) throw new Error(bad.map((m) => `${m.name}: ${why(m)}`).join('; '));
      return st.members.some((m) => m.isLeader);
    },
    { timeoutMs, intervalMs: 150, what: 'etcd healthy, sshd and apiserver up on every member' },
  ).catch((err: Error) => {
    const logs = lab.members.map((m) => `${m.name}: ${tail(etcdLogOf(lab, m), 2)}`).join(' || ');
    throw new Error(`lab: ${err.message} — etcd logs: ${logs}`);
  });
}

export async function labUp(opts: LabUpOptions = {}): Promise<Lab> {
  const log: Log = opts.log ?? (() => undefined);
  const { size, mode, etcdVersion, kube } = checkOptions(opts);
  const wanted = opts.subnet === undefined ? undefined : parseSubnet(opts.subnet);
  const dir = labDirOf(opts.dir);
  const t0 = Date.now();
  checkQuota(opts.quotaBytes, mode);
  await preflight(mode);
  prepareDir(dir);

  const id = randomBytes(4).toString('hex');
  const subnet = await claimSubnet(dir, id, wanted);
  const members = labMembers(dir, subnet, size);
  const noEtcdctl = opts.noEtcdctl ?? [];
  const stranger = noEtcdctl.find((n) => !members.some((m) => m.name === n));
  if (stranger !== undefined) {
    releaseSubnet(subnet, id);
    throw usage(
      `lab: --no-etcdctl ${stranger} is not a member`,
      `members are ${members.map((m) => m.name).join(', ')}`,
    );
  }
  const lab = newLab({ id, dir, mode, subnet, members, noEtcdctl, opts });
  writeLab(lab); // first, so that `lab down` finds whatever starts from here on
  const without = noEtcdctl.length ? `, no etcdctl on ${noEtcdctl.join(', ')}` : '';
  log(
    `lab ${dir}: ${size} members, ${mode}, etcd ${etcdVersion}, ${kube ? `Kubernetes ${kube.version}` : 'stand-in control plane'}, ${subnet}.0/24, access ` +
      `${accessLabel(lab.access)}${without}`,
  );
  try {
    await buildFiles(lab, opts, etcdVersion, kube);
    log(
      `etcd ${lab.etcd?.release ?? etcdVersion} (${lab.etcd?.image ?? 'no image'}); ` +
        `pki and host files ready (${Date.now() - t0} ms)`,
    );
    await bootHosts(lab);
    log(`hosts up (${Date.now() - t0} ms)`);

    if (opts.bare) {
      await waitFor(async () => (await labStatus(lab)).members.every((m) => m.sshdUp), {
        timeoutMs: 30_000,
        intervalMs: 150,
        what: 'sshd up on every bare host',
      });
      writeInventory(lab);
      writeLab(lab);
      log(
        `bare hosts ready: sshd, etcd binaries, empty /etc/kubernetes/manifests; no cluster (${Date.now() - t0} ms)`,
      );
      return lab;
    }
    await waitHealthy(lab);
    log(`etcd healthy on all ${size} members (${Date.now() - t0} ms)`);

    if (opts.seedData) {
      if (opts.cpEndpoints) await seedControlPlaneEndpoints(lab);
      const n = lab.controlPlane === 'real' ? await seedThroughApi(lab) : await seedLab(lab);
      lab.seeded = true;
      log(`seeded ${n} keys; data manifest ${lab.manifestPath} (${Date.now() - t0} ms)`);
    }
    writeInventory(lab);
    writeLab(lab);
    log(`inventory ${lab.inventoryPath}`);
    return lab;
  } catch (err) {
    await labDown(dir).catch(() => undefined);
    releaseSubnet(subnet, id);
    throw err;
  }
}
