// Masks secrets before anything reaches a log, the audit or a report.
// A value ends where the shell's syntax begins: quotes are kept, only what is between them is masked.
const VALUE = String.raw`("[^"]*"|'[^']*'|[^\s;&|<>()'"\`$]+)`;
const PATTERNS: RegExp[] = [
  /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----)/g,
  new RegExp(String.raw`((?:--password|--token|--secret|--encryption-key)[= ]+)` + VALUE, 'gi'),
  new RegExp(String.raw`(--user[= ]+["']?[^\s:"']+:)` + VALUE.replace('("[^"]*"|\'[^\']*\'|', '('), 'g'),
  // The cluster token only tells clusters apart (etcd docs): it is not a secret.
  new RegExp(
    String.raw`(\b(?!ETCD_INITIAL_CLUSTER_TOKEN)[A-Z_]*(?:PASSWORD|TOKEN|SECRET)[A-Z_]*=)` + VALUE,
    'g',
  ),
  /(\b(?:password|token|secret)\s*:\s*)([^\s"',}]+)/gi,
  /(\b[Bb]earer\s+)([A-Za-z0-9._~+/=-]+)/g,
];

export const MASK = '***';

/** The mask in the value's own quotes, so the recorded command keeps the shape of the one that ran. */
const quoteLike = (v: string) => (/^["']/.test(v) ? `${v[0]}${MASK}${v[0]}` : MASK);

export class Redactor {
  private readonly secrets: string[];
  constructor(secrets: Iterable<string> = []) {
    // Longest first so a secret containing another is masked whole.
    this.secrets = [...new Set([...secrets].filter((s) => s.length >= 4))].sort(
      (a, b) => b.length - a.length,
    );
  }
  with(more: Iterable<string> | undefined): Redactor {
    return more ? new Redactor([...this.secrets, ...more]) : this;
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(MASK);
    for (const p of PATTERNS) {
      out = out.replace(p, (_m, a: string, b: string) =>
        b.startsWith('-----END') ? `${a}${MASK}${b}` : `${a}${quoteLike(b)}`,
      );
    }
    return out;
  }
}

/** Redacts every string inside a JSON-like value (keys stay as they are). */
export function redactDeep<T>(value: T, r: Redactor): T {
  if (typeof value === 'string') return r.redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, r)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactDeep(v, r)]),
    ) as T;
  }
  return value;
}
