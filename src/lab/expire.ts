// lab break expire-certs: every member's etcd certificates re-signed by the lab CA with a notAfter in the past.
import { refused } from '../errors/error.js';
import { execInHost } from './hosts.js';
import { sh, type Script } from '../shell/sh.js';
import type { BreakResult, Lab } from './types.js';

/** kubeadm's etcd certs and the API server's etcd client cert (static-pod), signed by pki/etcd/ca.key on the host. */
export const EXPIRED_CERTS = [
  '/etc/kubernetes/pki/etcd/server.crt',
  '/etc/kubernetes/pki/etcd/peer.crt',
  '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  '/etc/kubernetes/pki/apiserver-etcd-client.crt',
];
const CA = '/etc/kubernetes/pki/etcd/ca.crt';

/** openssl's `ca` date form (YYYYMMDDHHMMSSZ), `days` from now (negative: the past). */
const asn1 = (days: number) =>
  new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

/**
 * Shell for one host: each cert re-signed with its own key, subject, SANs and usages, valid from 400 days ago until
 * yesterday (`openssl ca` takes explicit dates; `x509 -days` cannot reach the past).
 */
export function expireScript(certs: string[], caCrt: string, from: string, until: string): Script {
  const cnf =
    '[ca]\\ndefault_ca=x\\n[x]\\ndatabase=%s/index\\nserial=%s/serial\\nnew_certs_dir=%s\\ndefault_md=sha256\\npolicy=p\\n' +
    'preserve=yes\\nunique_subject=no\\n[p]\\norganizationName=optional\\ncommonName=supplied\\n';
  const ext = (name: string) => sh`openssl x509 -in "$crt" -noout -ext ${name} 2>/dev/null | tail -n +2`;
  const usages = sh`sed "s/TLS Web Server Authentication/serverAuth/; s/TLS Web Client Authentication/clientAuth/"`;
  const sign = sh`openssl ca -batch -notext -config "$w/cnf" -cert "$ca" -keyfile "$cak" -in "$w/csr" -out "$w/crt"`;
  return sh.lines(
    sh`set -e`,
    sh`ca=${caCrt}; cak="\${ca%.crt}.key"`,
    sh`w=$(mktemp -d); trap 'rm -rf "$w"' EXIT`,
    sh`: >"$w/index"; echo 1000 >"$w/serial"`,
    sh`printf ${cnf} "$w" "$w" "$w" >"$w/cnf"`,
    sh`for crt in ${certs}; do`,
    sh`  [ -f "$crt" ] || continue; key="\${crt%.crt}.key"`,
    sh`  subj=$(openssl x509 -in "$crt" -noout -subject -nameopt compat | sed "s/^subject=//")`,
    sh`  san=$(${ext('subjectAltName')} | sed "s/IP Address:/IP:/g" | tr -d " ")`,
    sh`  eku=$(${ext('extendedKeyUsage')} | ${usages} | tr -d " ")`,
    sh`  { echo "basicConstraints=critical,CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"`,
    sh`    [ -n "$eku" ] && echo "extendedKeyUsage=$eku"; [ -n "$san" ] && echo "subjectAltName=$san"; true; } >"$w/ext"`,
    sh`  openssl req -new -key "$key" -subj "$subj" -out "$w/csr" 2>/dev/null`,
    sh`  ${sign} -startdate ${from} -enddate ${until} -extfile "$w/ext" 2>/dev/null`,
    sh`  cat "$w/crt" >"$crt"; echo "$crt expired: $(openssl x509 -in "$crt" -noout -enddate)"`,
    sh`done`,
  );
}

export async function expireCerts(lab: Lab, actions: string[]): Promise<BreakResult> {
  if (lab.mode !== 'static-pod')
    throw refused(
      `lab break expire-certs: only the static-pod lab keeps the etcd CA key on the hosts (this lab is ${lab.mode})`,
      "bring a lab up with 'lifeboat lab up --mode static-pod'",
    );
  const script = expireScript(EXPIRED_CERTS, CA, asn1(-400), asn1(-1)).text;
  for (const m of lab.members) {
    const r = await execInHost(lab, m.name, script, { timeoutMs: 30_000 });
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
