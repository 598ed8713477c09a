// Restore onto new machines (docs/procedures.md#restoring-onto-new-machines): hosts without the
// cluster's PKI (or with another CA) get the backup's PKI and
// manifests first; whatever was there is moved aside. Manifests go to the parked folder, started later by the runbook.
import { dirname } from 'node:path';
import { sh } from '../shell/sh.js';
import type { HostCtx, PlanCtx, StepDef } from '../engine/types.js';

/** This member's config archive in the backup (by member name). */
export const configOf = (c: PlanCtx, name: string) =>
  Object.entries(c.files).find(([, f]) => f.role === 'config' && f.member === name)?.[0];

const remote = (c: HostCtx) => `${c.member.backupDir}/lifeboat-config-in-${c.stamp}.tar.gz`;
const k8sDir = (c: HostCtx) => dirname(dirname(c.member.manifest));

export function pkiFromBackupStep(): StepDef {
  return {
    id: 'pki-from-backup',
    title:
      "Hosts lacking the backup's etcd CA get the backup's PKI and manifests (old ones moved " +
      'aside); manifests parked until etcd starts',
    targets: { kind: 'all' },
    destructive: true,
    changes:
      "/etc/kubernetes/pki and the etcd/API server manifests are replaced by the backup's (the old " +
      'ones kept as .before-STAMP)',
    actions: (c) => {
      const k = k8sDir(c);
      const s = c.stamp;
      const etcd = c.member.manifest.split('/').pop()!;
      const api = c.member.apiserverManifest.split('/').pop()!;
      return [
        { kind: 'upload', from: configOf(c, c.member.name)!, to: remote(c), mode: 0o600 },
        {
          kind: 'sh',
          script: sh.lines(
            sh`set -e`,
            sh`a=${remote(c)}; k=${k}; park="$k/manifests-stopped-by-lifeboat"`,
            sh`w=$(mktemp -d); trap 'rm -rf "$w"' EXIT; tar xzf "$a" -C "$w"`,
            sh.join(
              [
                sh`[ -f "$w/pki/etcd/ca.crt" ]`,
                sh`{ echo "the backup's config archive has no pki/etcd/ca.crt" >&2; exit 1; }`,
              ],
              ' || ',
            ),
            sh.join(
              [
                sh`if [ -f "$k/pki/etcd/ca.crt" ] && cmp -s "$k/pki/etcd/ca.crt" "$w/pki/etcd/ca.crt";`,
                sh`then echo "this host already has the backup's etcd CA: PKI and manifests left as`,
                sh`they are"; exit 0; fi`,
              ],
              ' ',
            ),
            sh.join(
              [
                sh`aside() { b="$1.before-"${s}; [ -e "$b" ] && b="$b-$(date +%s)"; mv "$1" "$b"`,
                sh`echo "moved aside: $b"; }`,
              ],
              '; ',
            ),
            sh`[ -e "$k/pki" ] && aside "$k/pki"`,
            sh`cp -a "$w/pki" "$k/pki.lifeboat-new" && mv "$k/pki.lifeboat-new" "$k/pki"`,
            sh`mkdir -p "$park" "$k/manifests"`,
            sh`for f in "$w"/manifests/*.yaml; do [ -f "$f" ] || continue; n=$(basename "$f")`,
            sh`  for old in "$k/manifests/$n" "$park/$n"; do [ -e "$old" ] && aside "$old"; done`,
            sh`  case "$n" in ${etcd}|${api}) cp -p "$f" "$park/$n";; *) cp -p "$f" "$k/manifests/$n";; esac`,
            sh`done`,
            sh`echo "PKI and manifests from the backup in place"`,
          ),
        },
      ];
    },
    check: (c) => {
      const k = k8sDir(c);
      const ca = `${k}/pki/etcd/ca.crt`;
      const parked = `${k}/manifests-stopped-by-lifeboat/${c.member.manifest.split('/').pop()}`;
      return sh.join(
        [
          sh`[ -f ${ca} ] && [ -f ${remote(c)} ] && w=$(mktemp -d)`,
          sh`tar xzf ${remote(c)} -C "$w" ./pki/etcd/ca.crt`,
          sh`cmp -s "$w/pki/etcd/ca.crt" ${ca}; r=$?; rm -rf "$w"; [ $r = 0 ]`,
          sh`{ [ -f ${c.member.manifest} ] || [ -f ${parked} ]; }`,
        ],
        ' && ',
      );
    },
    hint: "read the error above; the host's old PKI and manifests are kept as .before-STAMP",
  };
}
