// Certificates issued on the host from the cluster CA (as an operator does with openssl): same subject, key type and usages
// as the cert they replace, SANs given or edited (an old address swapped for a new one). The old files are kept.
import { sh } from '../shell/sh.js';

export interface ReissueSpec {
  cert: string;
  key: string;
  caCert: string;
  caKey: string;
  /** SANs become the old cert's, with IP `from` replaced by IP `to` (added when absent). */
  from?: string;
  to: string;
  stamp: string;
  days?: number;
}

/**
 * Shell that re-issues `cert`/`key` valid for IP `to`, idempotent: a cert already valid for it is left alone. The new
 * pair is written beside the old one, the old pair copied to NAME.before-STAMP, then each renamed into place.
 */
export function reissueCertScript(s: ReissueSpec): string {
  return [
    `crt=${sh.quote(s.cert)}; key=${sh.quote(s.key)}; ca=${sh.quote(s.caCert)}; cak=${sh.quote(s.caKey)}; to=${sh.quote(s.to)}; from=${sh.quote(s.from ?? '')}`,
    reissueFromVars(s.stamp, s.days),
  ].join('\n');
}

/** The same, with the paths and addresses already in $crt $key $ca $cak $from $to (read from the host's config). */
export function reissueFromVars(stamp: string, days = 365): string {
  return [
    ...prologue,
    'if sans "$crt" | grep -qxF "IP:$to"; then echo "$crt is already valid for $to"; exit 0; fi',
    ...issueLines(stamp, days),
  ].join('\n');
}

/**
 * Renewal, from $crt $key $ca $cak and $to (the member's IP, or empty for a client cert): refused when the CA itself has
 * expired; a cert valid for more than `withinDays` (and for $to) is left alone; else re-issued with its subject and
 * SANs ($to added when missing), valid `days`, the old pair kept as NAME.before-STAMP.
 */
export function renewFromVars(stamp: string, days: number, withinDays: number): string {
  return [
    ...prologue,
    'if ! openssl x509 -in "$ca" -noout -checkend 0 >/dev/null; then echo "the CA $ca has expired itself: certificates it signs are refused too. Make a new CA (kubeadm: kubeadm init phase certs etcd-ca), re-issue every etcd cert from it and restart all members together; nothing was changed" >&2; exit 1; fi',
    `if { [ -z "$to" ] || sans "$crt" | grep -qxF "IP:$to"; } && openssl x509 -in "$crt" -noout -checkend ${withinDays * 86400} >/dev/null; then echo "$crt valid beyond ${withinDays} days ($(openssl x509 -in "$crt" -noout -enddate)): left alone"; exit 0; fi`,
    ...issueLines(stamp, days),
  ].join('\n');
}

const prologue = [
  'set -e',
  'for f in "$crt" "$key" "$ca" "$cak"; do [ -f "$f" ] || { echo "$f not found: cannot re-issue $crt" >&2; exit 1; }; done',
  'sans() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | sed "s/IP Address:/IP:/g; s/^ *//" | tr -d " " | tr "," "\\n" | sed "/^$/d"; }',
];

function issueLines(stamp: string, days: number): string[] {
  return [
    'san=$(sans "$crt" | awk -v f="IP:$from" -v t="IP:$to" \'$0==f {$0=t} {print} END {}\' | { cat; [ -n "$to" ] && echo "IP:$to"; true; } | awk \'!seen[$0]++\' | paste -sd, -)',
    'subj=$(openssl x509 -in "$crt" -noout -subject -nameopt compat | sed "s/^subject=//")',
    'eku=$(openssl x509 -in "$crt" -noout -ext extendedKeyUsage 2>/dev/null | tail -n +2 | sed "s/TLS Web Server Authentication/serverAuth/; s/TLS Web Client Authentication/clientAuth/" | tr -d " ")',
    'if openssl pkey -in "$key" -noout -text 2>/dev/null | grep -q "^modulus"; then kt="-newkey rsa:2048"; else kt="-newkey ec -pkeyopt ec_paramgen_curve:P-256"; fi',
    'w=$(mktemp -d); trap \'rm -rf "$w"\' EXIT',
    '{ echo "basicConstraints=critical,CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"; [ -n "$eku" ] && echo "extendedKeyUsage=$eku"; [ -n "$san" ] && echo "subjectAltName=$san"; true; } >"$w/ext"',
    'openssl req -new $kt -nodes -keyout "$w/key" -out "$w/csr" -subj "$subj" 2>/dev/null',
    `openssl x509 -req -in "$w/csr" -CA "$ca" -CAkey "$cak" -set_serial "0x$(openssl rand -hex 16)" -days ${days} -extfile "$w/ext" -out "$w/crt" 2>/dev/null`,
    'openssl verify -CAfile "$ca" "$w/crt" >/dev/null',
    `for f in "$crt" "$key"; do [ -e "$f.before-${stamp}" ] || cp -p "$f" "$f.before-${stamp}"; done`,
    'cp "$w/key" "$key.lifeboat-new" && chown --reference="$key" "$key.lifeboat-new" && chmod --reference="$key" "$key.lifeboat-new"',
    'cp "$w/crt" "$crt.lifeboat-new" && chown --reference="$crt" "$crt.lifeboat-new" && chmod --reference="$crt" "$crt.lifeboat-new"',
    'mv "$key.lifeboat-new" "$key" && mv "$crt.lifeboat-new" "$crt"',
    `echo "$crt re-issued for \${san:-no SANs}, valid ${days} days (old kept as $crt.before-${stamp})"`,
  ];
}

/** Exit 0 when the cert is valid for IP `to`. */
export const certHasIp = (cert: string, to: string) =>
  `openssl x509 -in ${sh.quote(cert)} -noout -ext subjectAltName 2>/dev/null | grep -qE ${sh.quote(`IP Address:${to.replace(/\./g, '\\.')}(,|$)`)}`;
