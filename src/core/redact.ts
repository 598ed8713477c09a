// Masks secrets before anything reaches a log, the audit or a report.
const PATTERNS: RegExp[] = [
  /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----)/g,
  /((?:--password|--token|--secret|--encryption-key)[= ]+)("[^"]*"|'[^']*'|\S+)/gi,
  /((?:PASSWORD|TOKEN|SECRET)[A-Z_]*=)("[^"]*"|'[^']*'|\S+)/g,
  /(\b(?:password|token|secret)\s*:\s*)(\S+)/gi,
];

export const MASK = '***';

export class Redactor {
  private readonly secrets: string[];
  constructor(secrets: Iterable<string> = []) {
    // Longest first so a secret containing another is masked whole.
    this.secrets = [...new Set([...secrets].filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  }
  with(more: Iterable<string> | undefined): Redactor {
    return more ? new Redactor([...this.secrets, ...more]) : this;
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(MASK);
    for (const p of PATTERNS) {
      out = out.replace(p, (_m, a: string, b: string) => (b.startsWith('-----END') ? `${a}${MASK}${b}` : `${a}${MASK}`));
    }
    return out;
  }
}
