// systemd (OpenShift 3 / external etcd): ETCD_* variables in etcd.conf, drop-ins, systemctl.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { shq } from '../engine/tools.js';
import type { Platform } from './types.js';
import { editEnvFile, keepOriginal, waitPort } from './edit.js';

const DROPIN_DIR = '/etc/systemd/system/etcd.service.d';
const FORCE_DROPIN = `${DROPIN_DIR}/90-lifeboat-force-new-cluster.conf`;
const clientHostPort = (m: ResolvedMember) => new URL(m.clientURL).host;
/** etcd closes its peer port last: both closed means the process is gone, not just its client listener. */
const peerHostPort = (m: ResolvedMember) => new URL(m.peerURL).host;
const saved = (m: ResolvedMember) => `${dirname(m.config)}/lifeboat-backup`;
/** The API server, when the host runs one as a unit; hosts without it skip those steps. */
const apiUnit = 'kube-apiserver';
const ifApi = (cmd: string) =>
  `if systemctl cat ${apiUnit} >/dev/null 2>&1; then ${cmd}; else echo "no ${apiUnit} unit on this host"; fi`;

const FLAG_VARS: Record<string, string> = {
  name: 'ETCD_NAME',
  'initial-cluster': 'ETCD_INITIAL_CLUSTER',
  'initial-cluster-state': 'ETCD_INITIAL_CLUSTER_STATE',
  'initial-cluster-token': 'ETCD_INITIAL_CLUSTER_TOKEN',
  'initial-advertise-peer-urls': 'ETCD_INITIAL_ADVERTISE_PEER_URLS',
  'data-dir': 'ETCD_DATA_DIR',
};

export const systemd: Platform = {
  topology: 'systemd',
  stopEtcd: (m) =>
    [`systemctl stop etcd`, waitPort(clientHostPort(m), 'down'), waitPort(peerHostPort(m), 'down')].join(
      '\n',
    ),
  startEtcd: (m) =>
    [`systemctl daemon-reload`, `systemctl start etcd`, waitPort(clientHostPort(m), 'up')].join('\n'),
  etcdStopped: () => `! systemctl is-active --quiet etcd`,
  stopApiserver: () => ifApi(`systemctl stop ${apiUnit}`),
  startApiserver: () => ifApi(`systemctl start ${apiUnit}`),
  apiserverStopped: () => `! systemctl is-active --quiet ${apiUnit}`,
  setEtcdFlags: (m, stamp, flags) => {
    const out: string[] = [`f=${shq(m.config)}`, keepOriginal(saved(m), stamp)];
    const vars: Record<string, string | null> = {};
    for (const [flag, value] of Object.entries(flags)) {
      if (flag === 'force-new-cluster') {
        // A drop-in, as OpenShift's procedure does; removing it moves it aside, never deletes it.
        out.push(
          value === null
            ? `if [ -f ${FORCE_DROPIN} ]; then mkdir -p ${shq(saved(m))} && mv ${FORCE_DROPIN} ${shq(saved(m))}/90-lifeboat-force-new-cluster.conf.removed-${stamp}; fi; systemctl daemon-reload`
            : `mkdir -p ${DROPIN_DIR} && printf '[Service]\\nEnvironment=ETCD_FORCE_NEW_CLUSTER=true\\n' >${FORCE_DROPIN} && systemctl daemon-reload`,
        );
        continue;
      }
      const v = FLAG_VARS[flag];
      if (!v) throw new Error(`systemd adapter: no ETCD_* variable known for --${flag}`);
      vars[v] = value;
    }
    if (Object.keys(vars).length) out.push(editEnvFile(vars));
    return out.join('\n');
  },
  setEtcdServers: () => ifApi(`echo "repoint ${apiUnit} by hand: its unit is not managed by lifeboat"`),
  noForceNewCluster: (m) =>
    `if [ -e ${FORCE_DROPIN} ]; then echo "${FORCE_DROPIN} is still there" >&2; exit 1; fi; if grep -q '^ETCD_FORCE_NEW_CLUSTER=' ${shq(m.config)}; then echo "${m.config} still sets ETCD_FORCE_NEW_CLUSTER" >&2; exit 1; fi; echo "no force-new-cluster drop-in or variable"`,
  backupConfig: (m, dir) =>
    `mkdir -p ${shq(dir)} && cp -a ${shq(dirname(m.config))} ${shq(`${dir}/etc-etcd`)} && { [ -d ${DROPIN_DIR} ] && cp -a ${DROPIN_DIR} ${shq(`${dir}/etcd.service.d`)} || true; } && chmod -R go-rwx ${shq(dir)}`,
};
