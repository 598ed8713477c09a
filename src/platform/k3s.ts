// k3s-external: k3s servers whose datastore is an external etcd cluster (docs/procedures.md). etcd
// itself runs as a systemd
// service with /etc/etcd/etcd.conf (everything the systemd adapter does); the "API server" is the k3s unit, whose
// `--datastore-endpoint` names the etcd client URLs: repointing it edits the unit file (a copy of the original kept),
// then `systemctl daemon-reload` and a restart of k3s, exactly as 001 does after its restore.
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { sh, type Script } from '../shell/sh.js';
import type { Platform } from './types.js';
import { keepOriginal } from './edit.js';
import { systemd } from './systemd.js';

export const K3S_UNIT = 'k3s';
const saved = (m: ResolvedMember) => `${dirname(m.config)}/lifeboat-backup`;
const ifK3s = (cmd: Script) =>
  sh`if systemctl cat ${K3S_UNIT} >/dev/null 2>&1; then ${cmd}; else echo ${`no ${K3S_UNIT} unit on this host`}; fi`;
/** The unit file systemd loaded k3s from (001: /etc/systemd/system/k3s.service). */
export const k3sUnitFile = sh`systemctl show -p FragmentPath --value ${K3S_UNIT}`;

/**
 * awk that sets the value of --datastore-endpoint in a unit file, in each form k3s units carry it:
 * `--datastore-endpoint=URL`, `--datastore-endpoint URL`, and (001, k3s's installer) `'--datastore-endpoint' \`
 * with `'URL' \` on the next line. Quotes around the value are kept.
 */
const DATASTORE_AWK = String.raw`function setv(s, start, len,   tok, q) {
  tok = substr(s, start, len); q = ""
  if (substr(tok, 1, 1) == sq) q = sq; else if (substr(tok, 1, 1) == dq) q = dq
  return substr(s, 1, start - 1) q v q substr(s, start + len)
}
BEGIN { sq = sprintf("%c", 39); dq = sprintf("%c", 34) }
{ line = $0
  if (want && match(line, /[^ \t\\]+/)) { line = setv(line, RSTART, RLENGTH); want = 0 }
  else if (match(line, /--datastore-endpoint=[^ \t\\"']*/)) {
    line = substr(line, 1, RSTART - 1) "--datastore-endpoint=" v substr(line, RSTART + RLENGTH) }
  else if (match(line, /--datastore-endpoint['"]?[ \t]+[^ \t\\]+/)) {
    pre = substr(line, 1, RSTART - 1); m = substr(line, RSTART, RLENGTH); rest = substr(line, RSTART + RLENGTH)
    match(m, /[ \t]+/); f = substr(m, 1, RSTART + RLENGTH - 1); val = substr(m, RSTART + RLENGTH)
    line = pre f setv(val, 1, length(val)) rest }
  else if (line ~ /--datastore-endpoint['"]?[ \t]*\\?[ \t]*$/) want = 1
  print line }`;

export function setDatastoreEndpoint(value: string): Script {
  return sh`awk -v v=${value} ${DATASTORE_AWK}`;
}

export const k3sExternal: Platform = {
  ...systemd,
  topology: 'k3s-external',
  stopApiserver: () => ifK3s(sh`systemctl stop ${K3S_UNIT}`),
  startApiserver: () => ifK3s(sh`systemctl start ${K3S_UNIT}`),
  apiserverStopped: () => sh`! systemctl is-active --quiet ${K3S_UNIT}`,
  setEtcdServers: (m, stamp, urls) => {
    const endpoints = urls.join(',');
    return ifK3s(
      sh.lines(
        sh`f=$(${k3sUnitFile}); [ -n "$f" ] && [ -f "$f" ] || { echo "k3s unit file not found" >&2; exit 1; }`,
        keepOriginal(saved(m), stamp),
        sh.join(
          [
            sh`grep -q -- '--datastore-endpoint' "$f" || { printf '%s has no --datastore-endpoint: k3s`,
            sh`does not use an external etcd here\\n' "$f" >&2; exit 1; }`,
          ],
          ' ',
        ),
        sh`t="$f.lifeboat-new"; ${setDatastoreEndpoint(endpoints)} "$f" >"$t"`,
        sh.join(
          [
            sh`if cmp -s "$f" "$t"; then rm -f "$t"; echo ${`k3s already points at ${endpoints}`}`,
            sh`else cat "$t" >"$f" && rm -f "$t" && echo ${`k3s --datastore-endpoint=${endpoints}`}; fi`,
          ],
          '; ',
        ),
        sh`systemctl daemon-reload`,
        sh`if systemctl is-active --quiet ${K3S_UNIT}; then systemctl restart ${K3S_UNIT}; fi`,
      ),
    );
  },
  backupConfig: (m, dir) =>
    sh.join(
      [
        sh`${systemd.backupConfig(m, dir)} && { f=$(${k3sUnitFile} 2>/dev/null)`,
        sh`[ -n "$f" ] && [ -f "$f" ] && cp -a "$f" ${`${dir}/`} || true; }`,
      ],
      '; ',
    ),
};
