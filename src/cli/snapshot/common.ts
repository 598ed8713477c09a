// Shared by the snapshot subcommands: flag values, revision parsing, output.
import { once } from 'node:events';
import { usage } from '../../errors/error.js';
import { safeText } from '../../render/safe-text.js';
import { loadEncryptionConfig, type KeyRing } from '../../k8s/encryption.js';

export const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
export const warn = (s: string): void => void process.stderr.write(`lifeboat: ${s}\n`);

export function revFlag(cmd: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw usage(
      `${cmd}: --rev '${v}' is not a positive revision`,
      'use --rev N with N from `lifeboat snapshot inspect`',
    );
  return n;
}

export const keysFrom = (path: string | undefined): KeyRing | undefined =>
  path === undefined ? undefined : loadEncryptionConfig(path);

/** Columns padded to their widest cell; cells from a snapshot shown with control characters escaped. */
export function table(rows: string[][]): string {
  const safe = rows.map((r) => r.map(safeText));
  // A loop, not Math.max(...column): a column of a million cells would overflow the call stack.
  const widths: number[] = [];
  for (const r of safe) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return safe
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

/** Writes text pieces in chunks of about 64 KiB, waiting for a slow reader: memory stays at a chunk or two. */
export async function writeChunked(pieces: Iterable<string>): Promise<void> {
  let chunk = '';
  const flush = async () => {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    chunk = '';
  };
  for (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= 1 << 16) await flush();
  }
  if (chunk) await flush();
}

/** table() for many rows, made one at a time by `row`: widths from a first pass, then written in chunks. */
export async function streamTable(
  header: string[],
  count: number,
  row: (i: number) => string[],
): Promise<void> {
  const widths = header.map((h) => h.length);
  for (let i = 0; i < count; i++)
    row(i).forEach((c, j) => (widths[j] = Math.max(widths[j] ?? 0, safeText(c).length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j === cells.length - 1 ? safeText(c) : safeText(c).padEnd(widths[j]!))).join('  ') +
    '\n';
  await writeChunked(
    (function* () {
      yield line(header);
      for (let i = 0; i < count; i++) yield line(row(i));
    })(),
  );
}

export const human = (n: number): string =>
  n >= 1 << 30
    ? `${(n / 2 ** 30).toFixed(2)} GiB`
    : n >= 1 << 20
      ? `${(n / 2 ** 20).toFixed(1)} MiB`
      : n >= 1024
        ? `${(n / 1024).toFixed(1)} KiB`
        : `${n} B`;

export const ENC_FLAG = { 'encryption-config': { type: 'string' } } as const;
