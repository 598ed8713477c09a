// Certificates issued on the host from the cluster CA (as an operator does with openssl): same subject,
// key type and usages
// as the cert they replace, SANs given or edited (an old address swapped for a new one). The old files are kept.
import { sh, type Script } from '../shell/sh.js';

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
  return sh.lines(
    sh`crt=${s.cert}; key=${s.key}; ca=${s.caCert}; cak=${s.caKey}; to=${s.to}; from=${s.from ?? ''}`,
    reissueFromVars(s.stamp, s.days),
  ).text;
}

/** The same, with the paths and addresses already in $crt $key $ca $cak $from $to (read from the host's config). */
export function reissueFromVars(stamp: string, days = 365): Script {
  return sh.lines(
    prologue,
    sh`if sans "$crt" | grep -qxF "IP:$to"; then echo "$crt is already valid for $to"; exit 0; fi`,
    issueLines(days, keepBeside(stamp)),
    sh`echo "$crt re-issued for \${san:-no SANs}, valid "${days}" days (old kept as $crt.before-"${stamp}")"`,
  );
}

/** The old pair copied to NAME.before-STAMP beside it (readdress). */
const keepBeside = (stamp: string) =>
  sh`for f in "$crt" "$key"; do [ -e "$f.before-"${stamp} ] || cp -p "$f" "$f.before-"${stamp}; done`;

/** The old pair copied into $keep, a folder beside them (renew-certs), once per run: a resumed run keeps the first. */
const keepInFolder = sh.lines(
  sh`mkdir -p "$keep" && chmod 700 "$keep"`,
  sh`for f in "$crt" "$key"; do [ -e "$keep/$(basename "$f")" ] || cp -p "$f" "$keep/"; done`,
);

const CA_EXPIRED =
  'has expired itself: certificates it signs are refused too. Make a new CA (kubeadm: kubeadm init ' +
  'phase certs etcd-ca), re-issue every etcd cert from it and restart all members together; ' +
  'nothing was changed';

/** Options of a renewal: how long the new cert lasts, the window, where the old pair goes. */
export interface RenewOpts {
  stamp: string;
  days: number;
  withinDays: number;
}

/** The folder (beside each cert) that holds the pair as it was before run `stamp`. */
export const keptFolder = (stamp: string) => `certs-before-${stamp}`;

/**
 * Renewal, from $crt $key $ca $cak and $to (the member's IP, or empty for a client cert): refused when
 * the CA itself has
 * expired; a cert valid for more than `withinDays` (and for $to) is left alone; else the old pair is copied into the
 * folder certs-before-STAMP beside it and a new one issued with its subject and SANs ($to added when missing), valid
 * `days`. $kk (kubeadm's name for the cert, or empty) with kubeadm on the host, 365 days and $to already among the
 * SANs: `kubeadm certs renew $kk --cert-dir $kdir` (it keeps the subject, SANs and key), else openssl.
 */
export function renewFromVars(o: RenewOpts): Script {
  return sh.lines(
    prologue,
    sh`keep="$(dirname "$crt")/"${keptFolder(o.stamp)}`,
    sh`if ! openssl x509 -in "$ca" -noout -checkend 0 >/dev/null; then echo "the CA $ca "${CA_EXPIRED} >&2; exit 1; fi`,
    sh`has_to() { [ -z "$to" ] || sans "$crt" | grep -qxF "IP:$to"; }`,
    sh.join(
      [
        sh`if has_to && openssl x509 -in "$crt" -noout -checkend ${o.withinDays * 86400} >/dev/null;`,
        sh`then echo "$crt valid beyond "${o.withinDays}" days ($(openssl x509 -in "$crt" -noout`,
        sh`-enddate)): left alone"; exit 0; fi`,
      ],
      ' ',
    ),
    sh`if [ -n "\${kk:-}" ] && [ ${o.days} = 365 ] && has_to && command -v kubeadm >/dev/null 2>&1; then`,
    keepInFolder,
    sh`  kubeadm certs renew "$kk" --cert-dir "$kdir"`,
    sh.join(
      [
        sh`  { openssl verify -CAfile "$ca" "$crt" >/dev/null && openssl x509 -in "$crt" -noout`,
        sh`-checkend 86400 >/dev/null; } || { echo "kubeadm certs renew $kk left $crt unverified or`,
        sh`expiring" >&2; exit 1; }`,
      ],
      ' ',
    ),
    sh.join(
      [
        sh`  echo "$crt renewed by kubeadm certs renew $kk ($(openssl x509 -in "$crt" -noout -enddate)`,
        sh`old pair kept in $keep)"`,
      ],
      '; ',
    ),
    sh`  exit 0`,
    sh`fi`,
    issueLines(o.days, keepInFolder),
    sh`echo "$crt re-issued for \${san:-no SANs}, valid "${o.days}" days (old pair kept in $keep)"`,
  );
}

const prologue = sh.lines(
  sh`set -e`,
  sh.join(
    [
      sh`for f in "$crt" "$key" "$ca" "$cak"`,
      sh`do [ -f "$f" ] || { echo "$f not found: cannot re-issue $crt" >&2; exit 1; }; done`,
    ],
    '; ',
  ),
  sh.join(
    [
      sh`sans() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2`,
      sh`sed "s/IP Address:/IP:/g; s/^ *//" | tr -d " " | tr "," "\\n" | sed "/^$/d"; }`,
    ],
    ' | ',
  ),
);

/** A new key (the old one's type) and cert from $ca/$cak with the old cert's subject, usages and SANs; `keep` runs
 *  before anything is replaced; each file is renamed into place (never half-written). */
function issueLines(days: number, keep: Script): Script {
  return sh.lines(
    sh.join(
      [
        sh`san=$(sans "$crt" | awk -v f="IP:$from" -v t="IP:$to" '$0==f {$0=t} {print} END {}' | { cat`,
        sh`[ -n "$to" ] && echo "IP:$to"; true; } | awk '!seen[$0]++' | paste -sd, -)`,
      ],
      '; ',
    ),
    sh`subj=$(openssl x509 -in "$crt" -noout -subject -nameopt compat | sed "s/^subject=//")`,
    sh.join(
      [
        sh`eku=$(openssl x509 -in "$crt" -noout -ext extendedKeyUsage 2>/dev/null | tail -n +2 | sed`,
        sh`"s/TLS Web Server Authentication/serverAuth/; s/TLS Web Client Authentication/clientAuth/" |`,
        sh`tr -d " ")`,
      ],
      ' ',
    ),
    sh.join(
      [
        sh`if openssl pkey -in "$key" -noout -text 2>/dev/null | grep -q "^modulus"`,
        sh`then kt="-newkey rsa:2048"; else kt="-newkey ec -pkeyopt ec_paramgen_curve:P-256"; fi`,
      ],
      '; ',
    ),
    sh`w=$(mktemp -d); trap 'rm -rf "$w"' EXIT`,
    sh.join(
      [
        sh`{ echo "basicConstraints=critical,CA:FALSE"`,
        sh`echo "keyUsage=critical,digitalSignature,keyEncipherment"`,
        sh`[ -n "$eku" ] && echo "extendedKeyUsage=$eku"; [ -n "$san" ] && echo "subjectAltName=$san"`,
        sh`true; } >"$w/ext"`,
      ],
      '; ',
    ),
    sh`openssl req -new $kt -nodes -keyout "$w/key" -out "$w/csr" -subj "$subj" 2>/dev/null`,
    sh.join(
      [
        sh`openssl x509 -req -in "$w/csr" -CA "$ca" -CAkey "$cak" -set_serial "0x$(openssl rand -hex`,
        sh`16)" -days ${days} -extfile "$w/ext" -out "$w/crt" 2>/dev/null`,
      ],
      ' ',
    ),
    sh`openssl verify -CAfile "$ca" "$w/crt" >/dev/null`,
    keep,
    sh.join(
      [
        sh`cp "$w/key" "$key.lifeboat-new" && chown --reference="$key" "$key.lifeboat-new"`,
        sh`chmod --reference="$key" "$key.lifeboat-new"`,
      ],
      ' && ',
    ),
    sh.join(
      [
        sh`cp "$w/crt" "$crt.lifeboat-new" && chown --reference="$crt" "$crt.lifeboat-new"`,
        sh`chmod --reference="$crt" "$crt.lifeboat-new"`,
      ],
      ' && ',
    ),
    sh`mv "$key.lifeboat-new" "$key" && mv "$crt.lifeboat-new" "$crt"`,
  );
}

/** Exit 0 when the cert is valid for IP `to`. */
export const certHasIp = (cert: string, to: string) =>
  sh.join(
    [
      sh`openssl x509 -in ${cert} -noout -ext subjectAltName 2>/dev/null`,
      sh`grep -qE ${`IP Address:${to.replace(/\./g, '\\.')}(,|$)`}`,
    ],
    ' | ',
  ).text;
