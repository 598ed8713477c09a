// lab break expire-certs: every member's etcd certificates (and its etcd client's) re-signed by the lab CA with a
// notAfter in the past, in every lab mode (the CA key is on the hosts in each).
import { sh } from '../shell/sh.js';
import { execInHost } from './hosts.js';
import type { BreakResult, Lab, LabMember, LabMode } from './types.js';
import { DOCKER_SSL, dockerTls, K3S_CLIENT } from './modes.js';

/** kubeadm's etcd certs and the API server's etcd client cert (static-pod), signed by pki/etcd/ca.key on the host. */
export const EXPIRED_CERTS = [
  '/etc/kubernetes/pki/etcd/server.crt',
  '/etc/kubernetes/pki/etcd/peer.crt',
  '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  '/etc/kubernetes/pki/apiserver-etcd-client.crt',
];

/**
 * What expire-certs re-signs on one host of each mode: the etcd certs (and the etcd client's), their CA
 * and its key.
 */
export interface ExpirePlan {
  ca: string;
  caKey: string;
  certs: Array<{ crt: string; key: string }>;
}

const crtKey = (crt: string) => ({ crt, key: crt.replace(/\.crt$/, '.key') });
const pemKey = (crt: string) => ({ crt, key: crt.replace(/\.pem$/, '-key.pem') });

export function expirePlan(mode: LabMode, m: LabMember): ExpirePlan {
  if (mode === 'static-pod')
    return {
      ca: '/etc/kubernetes/pki/etcd/ca.crt',
      caKey: '/etc/kubernetes/pki/etcd/ca.key',
      certs: EXPIRED_CERTS.map(crtKey),
    };
  if (mode === 'docker') {
    const t = dockerTls(m);
    return {
      ca: t.ca,
      caKey: `${DOCKER_SSL}/kube-ca-key.pem`,
      certs: [{ crt: t.cert, key: t.key }, pemKey(`${DOCKER_SSL}/kube-node.pem`)],
    };
  }
  // systemd and k3s-external: openshift-ansible's layout, the CA key in /etc/etcd/ca/; k3s's datastore client cert too.
  const certs = ['/etc/etcd/server.crt', '/etc/etcd/peer.crt'].map(crtKey);
  if (mode === 'k3s-external') certs.push(crtKey(`${K3S_CLIENT}/etcd-client.crt`));
  return { ca: '/etc/etcd/ca.crt', caKey: '/etc/etcd/ca/ca.key', certs };
}

/** openssl's `ca` date form (YYYYMMDDHHMMSSZ), `days` from now (negative: the past). */
const asn1 = (days: number) =>
  new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

/**
 * Shell for one host: each cert re-signed with its own key, subject, SANs and usages, valid from 400 days ago until
 * yesterday (`openssl ca` takes explicit dates; `x509 -days` cannot reach the past).
 */
export function expireScript(p: ExpirePlan, from: string, until: string): string {
  const pairs = p.certs.map((c) => `${c.crt}:${c.key}`);
  const cnf =
    '[ca]\\ndefault_ca=x\\n[x]\\ndatabase=%s/index\\nserial=%s/serial\\nnew_certs_dir=%s\\ndefault_md=sha256\\npolicy=p\\n' +
    'preserve=yes\\nunique_subject=no\\n[p]\\norganizationName=optional\\ncommonName=supplied\\n';
  const ext = (name: string) => sh`openssl x509 -in "$crt" -noout -ext ${name} 2>/dev/null | tail -n +2`;
  const usages = sh`sed "s/TLS Web Server Authentication/serverAuth/; s/TLS Web Client Authentication/clientAuth/"`;
  const sign = sh`openssl ca -batch -notext -config "$w/cnf" -cert "$ca" -keyfile "$cak" -in "$w/csr" -out "$w/crt"`;
  return sh.lines(
    sh`set -e`,
    sh`ca=${p.ca}; cak=${p.caKey}`,
    sh`w=$(mktemp -d); trap 'rm -rf "$w"' EXIT`,
    sh`: >"$w/index"; echo 1000 >"$w/serial"`,
    sh`printf ${cnf} "$w" "$w" "$w" >"$w/cnf"`,
    sh`for pair in ${pairs}; do`,
    sh`  crt="\${pair%%:*}"; key="\${pair#*:}"; [ -f "$crt" ] || continue`,
    sh`  subj=$(openssl x509 -in "$crt" -noout -subject -nameopt compat | sed "s/^subject=//")`,
    sh`  san=$(${ext('subjectAltName')} | sed "s/IP Address:/IP:/g" | tr -d " ")`,
    sh`  eku=$(${ext('extendedKeyUsage')} | ${usages} | tr -d " ")`,
    sh`  { echo "basicConstraints=critical,CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"`,
    sh.join(
      [
        sh`    [ -n "$eku" ] && echo "extendedKeyUsage=$eku"`,
        sh`[ -n "$san" ] && echo "subjectAltName=$san"; true; } >"$w/ext"`,
      ],
      '; ',
    ),
    sh`  openssl req -new -key "$key" -subj "$subj" -out "$w/csr" 2>/dev/null`,
    sh`  ${sign} -startdate ${from} -enddate ${until} -extfile "$w/ext" 2>/dev/null`,
    sh`  cat "$w/crt" >"$crt"; echo "$crt expired: $(openssl x509 -in "$crt" -noout -enddate)"`,
    sh`done`,
  ).text;
}

export async function expireCerts(lab: Lab, actions: string[]): Promise<BreakResult> {
  for (const m of lab.members) {
    const script = expireScript(expirePlan(lab.mode, m), asn1(-400), asn1(-1));
    const r = await execInHost(lab, m.name, script, { timeoutMs: 120_000 }); // ~10 openssl runs: slow on a loaded machine
    if (r.code !== 0) throw new Error(`lab break expire-certs: on ${m.name}: ${r.stderr.trim()}`);
    actions.push(
      ...r.stdout
        .trim()
        .split('\n')
        .map((l) => `${m.name}: ${l}`),
    );
  }
  return { scenario: 'expire-certs', members: lab.members.map((m) => m.name), actions };
}
