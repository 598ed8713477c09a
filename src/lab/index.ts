// The local DR lab: real etcd members (real TLS) behind real sshd hosts, each host in its own mount,
// UTS and pid namespace.
//
// Stable API for tests, runbooks and the demo (all take a Lab or its folder):
// labUp(opts) -> Promise<Lab>          bring a lab up (members 3|5|7, mode static-pod|systemd, dir,
// subnet, seedData); healthy when it returns
// labDown(dir?) -> Promise<DownResult> stop every lab process by pid (also after the starter crashed);
// no process, no mount remains
// labStatus(lab) -> Promise<LabStatus> per member: host, sshd, etcd up, healthy (quorum read), leader,
// raft index, revision, apiserver
// labBreak(lab, scenario, member?)     kill-member | lose-quorum | wipe-member | delete-objects |
// corrupt-member | stop-all | ssh-down | fill-quota(-live) | corrupt-alarm ...
//   labExec(lab, member, cmd) -> {code, stdout, stderr}   run bash -c cmd inside a host as root (no ssh needed)
//   readAllKeys(lab, {member?, prefix?, serializable?}) -> Map<key, sha256 hex>   what a member serves now
//   readAllValues(lab, opts) -> {revision, values: Map<key, Buffer>}
//   readManifest(lab) / compareWithManifest(lab, opts) -> {missing, changed, extra}   against the seeded data manifest
//   waitFor(cond, {timeoutMs}) -> value  poll a condition with a deadline (tests use this, never sleeps)
//   etcdPid(lab, member) -> pid inside the host of its running etcd, or null
//   readLab(dir?) -> Lab                 the lab.json of a running lab
//   kubectl(lab, args, {input?, server?}) -> {code, stdout, stderr}   kubectl of the pinned release as cluster-admin
//   (labs brought up with controlPlane: 'real'); SEEDED_KINDS, SEED_LABEL: the fixture set seeded through the API
// Lab fields: dir, id, mode, subnet, cluster, members [{name, address, clientURL, peerURL, hostDir}], inventoryPath,
// manifestPath, client {ca, cert, key} (admin TLS for etcd from outside the hosts), kubeCa, ssh
// {identityFile, knownHosts, user}.
export { labUp } from './up.js';
export { labDown, type DownResult } from './down.js';
export { labStatus, formatStatus, sshBanner } from './status.js';
export { labBreak, etcdPid } from './break.js';
export { labReboot } from './reboot.js';
export { labExec } from './exec.js';
export { labReaddress } from './readdress.js';
export {
  readAllKeys,
  readAllValues,
  readManifest,
  compareWithManifest,
  sha256,
  type DataDiff,
  type ReadOptions,
} from './data.js';
export { waitFor, type WaitOptions } from './wait.js';
export { readLab } from './state.js';
export { hostPids } from './hosts.js';
export { EtcdClient, prefixEnd } from './grpc.js';
export { kubectl, mustKubectl } from './kubectl.js';
export { SEEDED_KINDS, SEED_LABEL, SEED_NS, SEED_CRD } from './seed-kube.js';
export { kubernetesVersion } from './kubebin.js';
export * from './types.js';
