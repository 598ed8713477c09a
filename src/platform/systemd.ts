// systemd (OpenShift 3 / external etcd): ETCD_* variables in etcd.conf, drop-ins, systemctl.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
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
const ifApi = (cmd: Script) =>
  sh`if systemctl cat ${apiUnit} >/dev/null 2>&1; then ${cmd}; else echo ${`no ${apiUnit} unit on this host`}; fi`;

const FLAG_VARS: Record<string, string> = {
  name: 'ETCD_NAME',
  'initial-cluster': 'ETCD_INITIAL_CLUSTER',
  'initial-cluster-state': 'ETCD_INITIAL_CLUSTER_STATE',
  'initial-cluster-token': 'ETCD_INITIAL_CLUSTER_TOKEN',
  'initial-advertise-peer-urls': 'ETCD_INITIAL_ADVERTISE_PEER_URLS',
  'data-dir': 'ETCD_DATA_DIR',
  'quota-backend-bytes': 'ETCD_QUOTA_BACKEND_BYTES',
};

/** A drop-in, as OpenShift's procedure does; removing it moves it aside, never deletes it. */
function forceDropIn(m: ResolvedMember, stamp: string, on: boolean): Script {
  if (on)
    return sh.join(
      [
        sh`mkdir -p ${DROPIN_DIR}`,
        sh`printf '[Service]\\nEnvironment=ETCD_FORCE_NEW_CLUSTER=true\\n' >${FORCE_DROPIN}`,
        sh`systemctl daemon-reload`,
      ],
      ' && ',
    );
  const kept = `${saved(m)}/90-lifeboat-force-new-cluster.conf.removed-${stamp}`;
  return sh.join(
    [
      sh`if [ -f ${FORCE_DROPIN} ]; then mkdir -p ${saved(m)} && mv ${FORCE_DROPIN} ${kept}; fi`,
      sh`systemctl daemon-reload`,
    ],
    '; ',
  );
}

export const systemd: Platform = {
  topology: 'systemd',
  stopEtcd: (m) =>
    sh.lines(sh`systemctl stop etcd`, waitPort(clientHostPort(m), 'down'), waitPort(peerHostPort(m), 'down')),
  startEtcd: (m) =>
    sh.lines(sh`systemctl daemon-reload`, sh`systemctl start etcd`, waitPort(clientHostPort(m), 'up')),
  etcdStopped: () => sh`! systemctl is-active --quiet etcd`,
  stopApiserver: () => ifApi(sh`systemctl stop ${apiUnit}`),
  startApiserver: () => ifApi(sh`systemctl start ${apiUnit}`),
  apiserverStopped: () => sh`! systemctl is-active --quiet ${apiUnit}`,
  setEtcdFlags: (m, stamp, flags) => {
    const out: Script[] = [sh`f=${m.config}`, keepOriginal(saved(m), stamp)];
    const vars: Record<string, string | null> = {};
    for (const [flag, value] of Object.entries(flags)) {
      if (flag === 'force-new-cluster') {
        out.push(forceDropIn(m, stamp, value !== null));
        continue;
      }
      // etcd reads every flag from ETCD_<FLAG> (upper case, - as _): the table only documents the usual ones.
      if (!/^[a-z][a-z0-9-]*$/.test(flag)) throw new Error(`systemd adapter: --${flag} is not a flag name`);
      const v = FLAG_VARS[flag] ?? `ETCD_${flag.toUpperCase().replace(/-/g, '_')}`;
      vars[v] = value;
    }
    if (Object.keys(vars).length) out.push(editEnvFile(vars));
    return sh.lines(out);
  },
  setEtcdServers: () => ifApi(sh`echo ${`repoint ${apiUnit} by hand: its unit is not managed by lifeboat`}`),
  noForceNewCluster: (m) =>
    sh.join(
      [
        sh`if [ -e ${FORCE_DROPIN} ]; then echo ${`${FORCE_DROPIN} is still there`} >&2; exit 1; fi`,
        sh`if grep -q '^ETCD_FORCE_NEW_CLUSTER=' ${m.config}`,
        sh`then echo ${`${m.config} still sets ETCD_FORCE_NEW_CLUSTER`} >&2; exit 1; fi`,
        sh`echo "no force-new-cluster drop-in or variable"`,
      ],
      '; ',
    ),
  backupConfig: (m, dir) =>
    sh.join(
      [
        sh`mkdir -p ${dir} && cp -a ${dirname(m.config)} ${`${dir}/etc-etcd`} && { [ -d ${DROPIN_DIR} ]`,
        sh`cp -a ${DROPIN_DIR} ${`${dir}/etcd.service.d`} || true; } && chmod -R go-rwx ${dir}`,
      ],
      ' && ',
    ),
};
