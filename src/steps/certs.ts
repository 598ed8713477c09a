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
  const s = { stamp };
  return [
    'set -e',
    'for f in "$crt" "$key" "$ca" "$cak"; do [ -f "$f" ] || { echo "$f not found: cannot re-issue $crt" >&2; exit 1; }; done',
    'sans() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | sed "s/IP Address:/IP:/g; s/^ *//" | tr -d " " | tr "," "\\n" | sed "/^$/d"; }',
    'if sans "$crt" | grep -qxF "IP:$to"; then echo "$crt is already valid for $to"; exit 0; fi',
    'san=$(sans "$crt" | awk -v f="IP:$from" -v t="IP:$to" \'$0==f {$0=t} {print} END {}\' | { cat; echo "IP:$to"; } | awk \'!seen[$0]++\' | paste -sd, -)',
    'subj=$(openssl x509 -in "$crt" -noout -subject -nameopt compat | sed "s/^subject=//")',
    'eku=$(openssl x509 -in "$crt" -noout -ext extendedKeyUsage 2>/dev/null | tail -n +2 | sed "s/TLS Web Server Authentication/serverAuth/; s/TLS Web Client Authentication/clientAuth/" | tr -d " ")',
    'if openssl pkey -in "$key" -noout -text 2>/dev/null | grep -q "^modulus"; then kt="-newkey rsa:2048"; else kt="-newkey ec -pkeyopt ec_paramgen_curve:P-256"; fi',
    'w=$(mktemp -d); trap \'rm -rf "$w"\' EXIT',
    '{ echo "basicConstraints=critical,CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"; [ -n "$eku" ] && echo "extendedKeyUsage=$eku"; echo "subjectAltName=$san"; } >"$w/ext"',
    'openssl req -new $kt -nodes -keyout "$w/key" -out "$w/csr" -subj "$subj" 2>/dev/null',
    `openssl x509 -req -in "$w/csr" -CA "$ca" -CAkey "$cak" -set_serial "0x$(openssl rand -hex 16)" -days ${days} -extfile "$w/ext" -out "$w/crt" 2>/dev/null`,
    'openssl verify -CAfile "$ca" "$w/crt" >/dev/null',
    `for f in "$crt" "$key"; do [ -e "$f.before-${s.stamp}" ] || cp -p "$f" "$f.before-${s.stamp}"; done`,
    'cp "$w/key" "$key.lifeboat-new" && chown --reference="$key" "$key.lifeboat-new" && chmod --reference="$key" "$key.lifeboat-new"',
    'cp "$w/crt" "$crt.lifeboat-new" && chown --reference="$crt" "$crt.lifeboat-new" && chmod --reference="$crt" "$crt.lifeboat-new"',
    'mv "$key.lifeboat-new" "$key" && mv "$crt.lifeboat-new" "$crt"',
    `echo "$crt re-issued for $san (old kept as $crt.before-${s.stamp})"`,
  ].join('\n');
}

/** Exit 0 when the cert is valid for IP `to`. */
export const certHasIp = (cert: string, to: string) =>
  `openssl x509 -in ${sh.quote(cert)} -noout -ext subjectAltName 2>/dev/null | grep -qE ${sh.quote(`IP Address:${to.replace(/\./g, '\\.')}(,|$)`)}`;
