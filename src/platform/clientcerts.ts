// Where each topology's etcd client (the API server, or k3s) names its etcd client certificate: read from its own
// configuration, so renew-certs and diagnose never guess a path. systemd: no client of ours (OpenShift's master config
// is not read).
import { dirname } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import type { Topology } from '../inventory/schema.js';
import { sh, type Script } from '../shell/sh.js';
import { APISERVER_CONTAINER } from './docker.js';
import { k3sUnitFile } from './k3s.js';

/**
 * Shell function `a certfile|keyfile|cafile` printing that flag of this host's etcd client: kube-apiserver's
 * --etcd-certfile (manifest, live or parked; or the container's arguments) or k3s's --datastore-certfile (its unit).
 * null where Lifeboat knows no such client.
 */
export function etcdClientFlagReader(m: ResolvedMember, t: Topology): Script | null {
  if (t === 'static-pod') {
    const f = m.apiserverManifest;
    const parked = `${dirname(dirname(f))}/manifests-stopped-by-lifeboat/${f.split('/').pop()}`;
    return sh.join(
      [
        sh`a() { f=${f}; [ -f "$f" ] || f=${parked}; [ -f "$f" ] || return 0`,
        sh`sed -n "s/^ *- --etcd-$1=//p" "$f" | head -n1; }`,
      ],
      '; ',
    );
  }
  if (t === 'docker')
    return sh.join(
      [
        sh`a() { docker inspect -f '{{range .Args}}{{println .}}{{end}}' ${APISERVER_CONTAINER}`,
        sh`2>/dev/null | sed -n "s/^--etcd-$1=//p" | head -n1; }`,
      ],
      ' ',
    );
  if (t === 'k3s-external')
    return sh.join(
      [
        sh`a() { f=$(${k3sUnitFile} 2>/dev/null); [ -n "$f" ] && [ -f "$f" ] || return 0`,
        sh`sed -n "s/.*--datastore-$1=\\([^' \\"\\\\]*\\).*/\\1/p" "$f" | head -n1; }`,
      ],
      '; ',
    );
  return null;
}

/** Who holds that client certificate, for messages and docs. */
