// The floor for recover-quorum: the etcd operations alone, as a plain bash script, one ssh per command, host after
// host, kubeadm paths (static pods), no checks beyond what etcd itself needs (wait for health before the next add).
//   survivor: snapshot save; every host: etcd stopped (manifest moved out); survivor: data aside, snapshot restore as a
//   one-member cluster, started; per other member: member add (retried while etcd says "unhealthy cluster"), data
//   aside, --initial-cluster of the members so far + state existing, started, healthy.
// No API server stop/repoint/start, no controller restart, no learner step, no final --initial-cluster fix, no
// verification: what Lifeboat adds on top is the ratio.
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

const PKI = '/etc/kubernetes/pki/etcd';
const CTL = `ETCDCTL_API=3 etcdctl --cacert=${PKI}/ca.crt --cert=${PKI}/healthcheck-client.crt --key=${PKI}/healthcheck-client.key`;
const MAN = '/etc/kubernetes/manifests/etcd.yaml';
const PARK = '/etc/kubernetes/etcd.yaml.floor';
const DATA = '/var/lib/etcd';

/** hosts: hostsOf(inventory); members: lab members (name, clientURL, peerURL); tag: unique per run. */
export function floorScript(hosts, members, tag) {
  const first = Object.values(hosts)[0];
  const L = [
    '#!/usr/bin/env bash',
    'set -uo pipefail',
    'fail() { echo "floor: $*" >&2; exit 1; }',
    `SSH=(${first.args.map(q).join(' ')})`,
    'declare -A T',
    ...Object.entries(hosts).map(([n, h]) => `T[${q(n)}]=${q(h.target)}`),
    'on() { local h=$1; shift; ssh "${SSH[@]}" "${T[$h]}" "$@"; }',
    // until HOST SCRIPT: poll with a short pause (the floor should not lose time to its own polling), 120 s deadline.
    'until_ok() { local h=$1 s=$2 end=$((SECONDS+120)); until on "$h" "$s" >/dev/null 2>&1; do' +
      ' [ $SECONDS -ge $end ] && fail "timed out on $h: $s"; sleep 0.1; done; }',
  ];
  // The survivor: the first member whose etcd still answers (a status needs no quorum).
  L.push('S=');
  for (const m of members)
    L.push(
      `[ -z "$S" ] && on ${q(m.name)} ${q(`${CTL} --endpoints=${m.clientURL} endpoint status`)} >/dev/null 2>&1 && S=${q(m.name)}`,
    );
  L.push('[ -n "$S" ] || fail "no member answers"');
  L.push('declare -A CURL PEER');
  for (const m of members) L.push(`CURL[${q(m.name)}]=${q(m.clientURL)}; PEER[${q(m.name)}]=${q(m.peerURL)}`);
  const snap = `/var/tmp/floor-${tag}.db`;
  L.push(
    `on "$S" "${CTL} --endpoints=\${CURL[$S]} snapshot save ${snap}" >/dev/null || fail "snapshot save"`,
  );
  for (const m of members) {
    const port = new URL(m.clientURL).host;
    L.push(
      `on ${q(m.name)} ${q(`[ -f ${MAN} ] && mv ${MAN} ${PARK}; while ss -Hltn | awk '{print $4}' | grep -qxF ${port}; do sleep 0.05; done`)} || fail "stop ${m.name}"`,
    );
  }
  const restore =
    `mv ${DATA} ${DATA}.floor-${tag} && ` +
    `if command -v etcdutl >/dev/null; then R=etcdutl; else R="env ETCDCTL_API=3 etcdctl"; fi && ` +
    `\\$R snapshot restore ${snap} --data-dir=${DATA} --name=$S --initial-cluster=$S=\${PEER[$S]} ` +
    `--initial-advertise-peer-urls=\${PEER[$S]} --initial-cluster-token=floor-${tag} >/dev/null 2>&1 && mv ${PARK} ${MAN}`;
  L.push(`on "$S" "${restore.replace(/"/g, '\\"')}" || fail "restore"`);
  L.push(`until_ok "$S" "${CTL} --endpoints=\${CURL[$S]} endpoint health"`);
  L.push('IC="$S=${PEER[$S]}"; EPS="${CURL[$S]}"');
  L.push(`for m in ${members.map((m) => q(m.name)).join(' ')}; do`);
  L.push('  [ "$m" = "$S" ] && continue');
  // etcd refuses an add until the leader has been connected to every voter for 5 s: retried, as by hand.
  L.push(
    `  end=$((SECONDS+60)); until out=$(on "$S" "${CTL} --endpoints=$EPS member add $m --peer-urls=\${PEER[$m]}" 2>&1); do` +
      ' case "$out" in *"unhealthy cluster"*) ;; *) fail "member add $m: $out";; esac;' +
      ' [ $SECONDS -ge $end ] && fail "member add $m refused"; sleep 0.1; done',
  );
  L.push('  IC="$IC,$m=${PEER[$m]}"');
  const join =
    `mv ${DATA} ${DATA}.floor-${tag}; sed -i -e 's#^\\(\\s*- --initial-cluster=\\).*#\\1$IC#' ` +
    `-e 's#^\\(\\s*- --initial-cluster-state=\\).*#\\1existing#' ${PARK} && mv ${PARK} ${MAN}`;
  L.push(`  on "$m" "${join}" || fail "start $m"`);
  L.push(`  until_ok "$m" "${CTL} --endpoints=\${CURL[$m]} endpoint health"`);
  L.push('  EPS="$EPS,${CURL[$m]}"');
  L.push('done');
  L.push('echo "floor: done, survivor $S"');
  return `${L.join('\n')}\n`;
}
