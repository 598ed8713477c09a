// One interface over the ways etcd runs (kubeadm static pods, systemd, docker, k3s): runbooks never care which.
import type { ResolvedMember } from '../inventory/resolve.js';
import type { Script } from '../shell/sh.js';

export interface Platform {
  topology: string;
  /** Stop etcd; idempotent (a re-run finds it stopped). */
  stopEtcd(m: ResolvedMember, stamp: string): Script;
  startEtcd(m: ResolvedMember, stamp: string): Script;
  /** Exit 0 when etcd is stopped on the host (the "already done?" check of a stop). */
  etcdStopped(m: ResolvedMember, stamp: string): Script;
  stopApiserver(m: ResolvedMember, stamp: string): Script;
  startApiserver(m: ResolvedMember, stamp: string): Script;
  apiserverStopped(m: ResolvedMember, stamp: string): Script;
  /**
   * Set (value) or remove (null) etcd flags: name, initial-cluster, initial-cluster-state,
   * initial-cluster-token, force-new-cluster ...
   */
  setEtcdFlags(m: ResolvedMember, stamp: string, flags: Record<string, string | null>): Script;
  /** Point the API server (or k3s) at these etcd client URLs. */
  setEtcdServers(m: ResolvedMember, stamp: string, urls: string[]): Script;
  /** Exit 0 when no --force-new-cluster flag (manifest flag, drop-in, variable) is left for the next start. */
  noForceNewCluster(m: ResolvedMember): Script;
  /** Back up what a restore depends on (certs, manifests or etcd.conf) into dir on the host. */
  backupConfig(m: ResolvedMember, dir: string): Script;
}
