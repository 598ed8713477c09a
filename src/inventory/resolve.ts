// Resolves an inventory's defaults into one fully specified record per member.
import type { BackupConfig } from './backup.js';
import type { InventoryInput, Kubelet, Topology } from './schema.js';

export interface ResolvedMember {
  name: string;
  address: string;
  /** Where the member was before it moved (readdress); absent when it did not move. */
  previousAddress?: string;
  peerURL: string;
  clientURL: string;
  ssh: {
    user: string;
    port: number;
    identityFile?: string;
    knownHosts?: string;
    jump?: string;
    sudo: boolean;
  };
  dataDir: string;
  manifest: string;
  apiserverManifest: string;
  config: string;
  backupDir: string;
  tls: { ca: string; cert: string; key: string };
  tools: { etcdctl?: string; etcdutl?: string };
  /** The command (argv words) that restarts this host's kubelet, when the inventory says how. */
  kubeletRestart?: string[];
}

export interface Inventory {
  cluster: string;
  topology: Topology;
  members: ResolvedMember[];
  /** Where backups go and how (backup.to, encrypt, keep). */
  backup?: BackupConfig;
  /** Folder of the inventory file: relative identity/known_hosts paths resolve against it. */
  baseDir: string;
}

const KUBEADM_TLS = {
  ca: '/etc/kubernetes/pki/etcd/ca.crt',
  cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  key: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
};
const ETCD_CONF_TLS = { ca: '/etc/etcd/ca.crt', cert: '/etc/etcd/peer.crt', key: '/etc/etcd/peer.key' };

/** etcd's --initial-cluster value for these members, in order: name=peerURL,... (the lab's and the runbooks'). */
export const initialCluster = (members: ReadonlyArray<{ name: string; peerURL: string }>) =>
  members.map((m) => `${m.name}=${m.peerURL}`).join(',');

/** argv of a kubelet restart: the unit through systemctl, or the command as given. */
const kubeletRestart = (k: Kubelet | undefined): string[] | undefined =>
  k?.restartCommand ?? (k?.restartUnit ? ['systemctl', 'restart', k.restartUnit] : undefined);

export function resolveInventory(inv: InventoryInput, baseDir: string): Inventory {
  const members = inv.members.map((m): ResolvedMember => {
    const ssh = { ...inv.ssh, ...m.ssh };
    const etcd = { ...inv.etcd, ...m.etcd };
    const tls = etcd.tls ?? (inv.topology === 'systemd' ? ETCD_CONF_TLS : KUBEADM_TLS);
    const kubelet = kubeletRestart(m.kubelet ?? inv.kubelet);
    return {
      name: m.name,
      address: m.address,
      ...(m.previousAddress && m.previousAddress !== m.address ? { previousAddress: m.previousAddress } : {}),
      peerURL: m.peerURL ?? `https://${m.address}:2380`,
      clientURL: m.clientURL ?? `https://${m.address}:2379`,
      ssh: {
        user: ssh.user ?? 'root',
        port: ssh.port ?? 22,
        sudo: ssh.sudo ?? false,
        ...(ssh.identityFile === undefined ? {} : { identityFile: ssh.identityFile }),
        ...(ssh.knownHosts === undefined ? {} : { knownHosts: ssh.knownHosts }),
        ...(ssh.jump === undefined ? {} : { jump: ssh.jump }),
      },
      dataDir: etcd.dataDir ?? '/var/lib/etcd',
      manifest: etcd.manifest ?? '/etc/kubernetes/manifests/etcd.yaml',
      apiserverManifest: etcd.apiserverManifest ?? '/etc/kubernetes/manifests/kube-apiserver.yaml',
      config: etcd.config ?? '/etc/etcd/etcd.conf',
      backupDir: etcd.backupDir ?? '/backup',
      tls,
      tools: { ...etcd.tools },
      ...(kubelet ? { kubeletRestart: kubelet } : {}),
    };
  });
  return {
    cluster: inv.cluster,
    topology: inv.topology,
    members,
    baseDir,
    ...(inv.backup ? { backup: inv.backup } : {}),
  };
}
