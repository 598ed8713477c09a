// The audit log: append-only JSON lines, one writer, hash-chained (seq, prevHash, hash) and synced per line.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, truncateSync, writeSync, existsSync } from 'node:fs';
import { JsonTooDeep, parseBoundedJson } from '../../local/bounded-json.js';
import { readRegularFile } from '../../local/input.js';
import type { RunEvent } from '../events.js';
import { openPrivateAppend, writePrivate } from '../../local/private.js';

export const GENESIS = '0'.repeat(64);
const MAX_ENTRY_DEPTH = 64;

export type AuditEntry = RunEvent & { seq: number; ts: string; prevHash: string; hash: string };

const hashOf = (prevHash: string, body: string) =>
  createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');

/** Serializes an entry without its hash; the same bytes are rebuilt when verifying. */
function body(e: Omit<AuditEntry, 'hash'>): string {
  return JSON.stringify(e);
}

export class AuditLog {
  private fd: number;
  private seq: number;
  private head: string;
  /** A torn last line found (and set aside) when the log was opened; the runner records it as a warning. */
  readonly repaired: string | undefined;
  constructor(readonly path: string) {
    this.repaired = existsSync(path) ? repairTornTail(path) : undefined;
    const entries = existsSync(path) ? readAudit(path) : [];
    const last = entries[entries.length - 1];
    this.seq = last ? last.seq : 0;
    this.head = last ? last.hash : GENESIS;
    this.fd = openPrivateAppend(path);
  }
  get headHash(): string {
    return this.head;
  }
  get headSeq(): number {
    return this.seq;
  }
  append(e: RunEvent, at: Date): AuditEntry {
    const partial = { seq: this.seq + 1, ts: at.toISOString(), ...e, prevHash: this.head } as Omit<
      AuditEntry,
      'hash'
    >;
    const hash = hashOf(this.head, body(partial));
    const entry = { ...partial, hash } as AuditEntry;
    writeSync(this.fd, JSON.stringify(entry) + '\n');
    fsyncSync(this.fd);
    this.seq = entry.seq;
    this.head = hash;
    return entry;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A crash mid-write leaves a last line without its newline: it was never a synced entry. It is copied aside
 * (PATH.torn-TIME) and cut off, so the next entry starts on a line of its own instead of being glued onto it.
 */
export function repairTornTail(path: string): string | undefined {
  const buf = readRegularFile(path, 'audit log');
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return undefined;
  const keep = buf.lastIndexOf(0x0a) + 1;
  const aside = `${path}.torn-${Date.now()}`;
  writePrivate(aside, buf.subarray(keep));
  truncateSync(path, keep);
  return (
    `audit log ${path}: a torn last line (${buf.length - keep} bytes, a crash mid-write) was set ` +
    `aside in ${aside}`
  );
}

export function readAudit(path: string): AuditEntry[] {
  const text = readRegularFile(path, 'audit log').toString('utf8');
  // A crash mid-write can leave a torn last line; it was never synced as a whole entry.
  const lines = text.split('\n').filter((l) => l.length > 0);
  const out: AuditEntry[] = [];
  for (const [i, l] of lines.entries()) {
    try {
      // Entries nest a few levels (params, captures): a deeper line is forged, and hashing it would exhaust the stack.
      out.push(parseBoundedJson(l, MAX_ENTRY_DEPTH) as AuditEntry);
    } catch (err) {
      if (err instanceof JsonTooDeep)
        throw new Error(`line ${i + 1} is ${err.message}: not an audit log`, { cause: err });
      if (i === lines.length - 1 && !text.endsWith('\n')) break;
      throw new Error(`line ${i + 1} is not JSON: not an audit log`, { cause: err });
    }
  }
  return out;
}

export type VerifyResult =
  { ok: true; entries: number; head: string } | { ok: false; line: number; reason: string };

export function verifyAudit(path: string): VerifyResult {
  let entries: AuditEntry[];
  try {
    entries = readAudit(path);
  } catch (err) {
    return {
      ok: false,
      line: Number(/line (\d+)/.exec((err as Error).message)?.[1] ?? 0),
      reason: (err as Error).message,
    };
  }
  if (entries.length === 0) return { ok: false, line: 0, reason: 'not an audit log (no entries)' };
  let prev = GENESIS;
  for (const [i, e] of entries.entries()) {
    if (!e || typeof e !== 'object' || typeof e.hash !== 'string' || typeof e.seq !== 'number')
      return { ok: false, line: i + 1, reason: 'not an audit log (a line is not a hash-chained entry)' };
    const { hash, ...rest } = e;
    if (e.seq !== i + 1)
      return {
        ok: false,
        line: i + 1,
        reason: `sequence ${e.seq} where ${i + 1} was expected (a line was removed or reordered)`,
      };
    if (e.prevHash !== prev)
      return {
        ok: false,
        line: i + 1,
        reason: 'prevHash does not match the previous line (a line was removed, reordered or edited)',
      };
    if (hashOf(prev, body(rest as Omit<AuditEntry, 'hash'>)) !== hash)
      return { ok: false, line: i + 1, reason: 'hash does not match the line (the line was edited)' };
    prev = hash;
  }
  return { ok: true, entries: entries.length, head: prev };
}
