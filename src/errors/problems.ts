// Zod results in the operator's words: every problem of an input named, in one line.
import type { z } from 'zod';
import { badInput } from './error.js';

/** Every problem of a zod result as `field: message`, joined. */
export function problems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
}

/** Parses untrusted JSON with a schema; a failure is one line naming the file and every bad field (exit 2). */
export function parseUntrusted<T>(schema: z.ZodType<T>, value: unknown, file: string, hint: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw badInput(`${file} is damaged or forged: ${problems(r.error)}`, hint);
}
