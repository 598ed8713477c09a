// Shapes shared by the lab modules: options, the state file, status rows and break scenarios.
export const LAB_MODES = ['static-pod', 'systemd', 'docker', 'k3s-external'] as const;
export type LabMode = (typeof LAB_MODES)[number];

/** The etcd lines a lab runs, each built from source at the release scripts/gobuild/etcd-X.Y/go.mod pins. */
export const ETCD_VERSIONS = ['3.5', '3.6', '3.7'] as const;
export type EtcdVersion = (typeof ETCD_VERSIONS)[number];
/** What Kubernetes 1.34-1.36 run. */
export const DEFAULT_ETCD_VERSION: EtcdVersion = '3.6';

/** Who serves the Kubernetes API: the real kube-apiserver, controller-manager and scheduler, or the lab's stand-ins. */
export const CONTROL_PLANES = ['real', 'stand-in'] as const;
export type ControlPlane = (typeof CONTROL_PLANES)[number];

export const LAB_SIZES = [1, 3, 5, 7] as const;

/** How the inventory reaches the hosts: `sudo` = a non-root user with passwordless `sudo -n` (root login refused);
 *  `jump` = only a bastion host is reachable, the members only through it. Both may be combined. */
export interface LabAccess {
  sudo: boolean;
  jump: boolean;
}
export const ROOT_ACCESS: LabAccess = { sudo: false, jump: false };

export const SCENARIOS = [
  'kill-member',
  'lose-quorum',
  'wipe-member',
  'delete-objects',
  'corrupt-member',
  'stop-all',
  'ssh-down',
  'fill-quota',
  'fill-quota-live',
  'expire-certs',
  'diverge-member',
  'corrupt-alarm',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface LabUpOptions {
  /** 3, 5 or 7 (1 is allowed for quick experiments). Default 3. */
  members?: number;
  mode?: LabMode;
  /** Lab folder; default ./.lifeboat/lab. Made absolute. */
  dir?: string;
  /** `127.0.N` block; default: the first free one, claimed atomically. */
  subnet?: string;
  seedData?: boolean;
  /** Default root over direct SSH. */
  access?: LabAccess;
  /** Hosts where etcdctl is hidden (not on PATH): the tools must come from the etcd container. */
  noEtcdctl?: string[];
  /** etcd line the hosts run (the release its wrapper module pins, built by setup). Default 3.6. */
  etcdVersion?: EtcdVersion;
  /** etcd's --quota-backend-bytes (default: etcd's own 2 GiB); small, so that fill-quota can reach it. */
  quotaBytes?: number;
  /** static-pod: API server stand-ins run --endpoint-reconciler-type=lease (masterleases + kubernetes Endpoints). */
  leases?: boolean;
  /** With seedData: kube-system/kube-etcd-metrics Endpoints and EndpointSlice naming every member, kept up to date by
   *  nothing (src/lab/slices.ts): after lab readdress they name the old address. */
  cpEndpoints?: boolean;
  /** New machines: sshd, etcd binaries and the kubeadm layout, but no cluster, no data, no PKI (static-pod). */
  bare?: boolean;
  /** static-pod: `real` runs the pinned release's kube-apiserver, controller-manager and scheduler (built by
   *  scripts/build-kubernetes.sh), seeding through the API with kubectl; default `stand-in` (cheap, writes nothing). */
  controlPlane?: ControlPlane;
  /** Progress lines (the CLI prints them). */
  log?: (line: string) => void;
}

export interface LabMember {
  name: string;
  /** 127.0.N.(10+i) */
  address: string;
  clientURL: string;
  peerURL: string;
  /** Set by `lab readdress`: the address the cluster's configuration still names. */
  previousAddress?: string;
  /** Set by the first `lab readdress`: the address the host was built with (docker's RKE cert files carry it). */
  builtAt?: string;
  /** This host's own folder in the lab dir (its bind-mounted /etc/kubernetes etc. live under root/). */
  hostDir: string;
}

/** The lab's state file, `lab.json`: written before anything starts so `lab down` works after a crash. */
export interface Lab {
  id: string;
  dir: string;
  mode: LabMode;
  subnet: string;
  cluster: string;
  members: LabMember[];
  inventoryPath: string;
  /** Data manifest (key -> sha256 of value), written by --seed-data. */
  manifestPath: string;
  /** Lab-side TLS for clients outside the hosts (status, seeding, tests). */
  client: { ca: string; cert: string; key: string };
  /** Kubernetes CA that signs the apiserver stand-in's serving cert. */
  kubeCa: string;
  ssh: { identityFile: string; knownHosts: string; user: string };
  /** Absent in labs made before access modes: root, direct. */
  access?: LabAccess;
  /** jump access: the bastion host (the only address reachable directly; the members sit on its private network). */
  bastion?: { name: string; address: string; hostDir: string; user: string };
  noEtcdctl?: string[];
  /** The etcd the hosts run (absent in labs made before versions were chosen). */
  etcd?: { version: EtcdVersion; release: string; image: string };
  quotaBytes?: number;
  /** Absent: the stand-ins. */
  controlPlane?: ControlPlane;
  /** The real control plane: its release, the machine's folder of binaries, and DIR/admin.conf (cluster-admin). */
  kube?: { version: string; bin: string; adminConf: string };
  /** Brought up with --bare: no cluster on the hosts. */
  bare?: boolean;
  /** Old addresses of readdressed hosts, made unreachable on the machine until `lab down`. */
  goneAddresses?: string[];
  seeded: boolean;
  createdAt: string;
  starterPid: number;
}

export interface MemberStatus {
  name: string;
  address: string;
  hostUp: boolean;
  sshdUp: boolean;
  etcdUp: boolean;
  /** A linearizable read through this member succeeded (it is part of a quorum). */
  healthy: boolean;
  isLeader: boolean;
  leader: string | null;
  raftIndex: number | null;
  revision: number | null;
  dbSize: number | null;
  version: string | null;
  error: string | null;
  /** static-pod: the kube-apiserver stand-in's last report. */
  apiserver?: { running: boolean; ok: boolean; error: string | null };
}

export interface LabStatus {
  dir: string;
  mode: LabMode;
  subnet: string;
  members: MemberStatus[];
}

export interface ExecOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface BreakResult {
  scenario: Scenario;
  members: string[];
  /** What was done, one line each. */
  actions: string[];
  /** delete-objects: the keys deleted. */
  deletedKeys?: string[];
  /**
   * diverge-member: whether the member serves its divergent data, or refused to start (etcd 3.6+ with kubeadm's
   * InitialCorruptCheck compares its hash with the peers' at start and exits).
   */
  divergent?: 'serving' | 'refused-at-start';
}

/** A data manifest: every key under / and the sha256 (hex) of its value. */
export interface DataManifest {
  revision: number;
  count: number;
  keys: Record<string, string>;
}
