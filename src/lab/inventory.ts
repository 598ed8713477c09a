// Writes the lab's inventory.yaml in the schema users write for real clusters
// (src/inventory/schema.ts); paths relative to it.
import { writeFileSync } from 'node:fs';
import { relative, dirname } from 'node:path';
import { stringify } from 'yaml';
import type { Lab } from './types.js';
import { DOCKER_DATA, dockerTls } from './modes.js';

export function inventoryDoc(lab: Lab): Record<string, unknown> {
  const base = dirname(lab.inventoryPath);
  return {
    apiVersion: 'lifeboat/v1',
    cluster: lab.cluster,
    topology: lab.mode,
    ssh: {
      user: lab.ssh.user,
      ...(lab.access?.sudo ? { sudo: true } : {}),
      ...(lab.bastion ? { jump: `${lab.bastion.user}@${lab.bastion.address}` } : {}),
      identityFile: relative(base, lab.ssh.identityFile),
      knownHosts: relative(base, lab.ssh.knownHosts),
    },
    // docker: data in the etcd-data volume, RKE's per-node certs; k3s-external: etcd.conf's certs (the systemd layout).
    ...(lab.mode === 'docker' ? { etcd: { dataDir: DOCKER_DATA } } : {}),
    ...(lab.mode === 'k3s-external'
      ? { etcd: { tls: { ca: '/etc/etcd/ca.crt', cert: '/etc/etcd/peer.crt', key: '/etc/etcd/peer.key' } } }
      : {}),
    members: lab.members.map((m) => ({
      name: m.name,
      address: m.address,
      peerURL: m.peerURL,
      clientURL: m.clientURL,
      ...(m.previousAddress ? { previousAddress: m.previousAddress } : {}),
      ...(lab.mode === 'docker' ? { etcd: { tls: dockerTls(m) } } : {}),
    })),
  };
}

export function writeInventory(lab: Lab): void {
  const head = `# Lifeboat lab ${lab.id}: ${lab.members.length} members, ${lab.mode}. Written by 'lifeboat lab up'.\n`;
  writeFileSync(lab.inventoryPath, head + stringify(inventoryDoc(lab)));
}
