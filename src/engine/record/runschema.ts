// A run dir is untrusted input: zod schemas with the inventory's rules for every value that can reach a command.
import { posix } from 'node:path';
import { z } from 'zod';
import { count, FactsSchema, MEMBER_NAME, re, SHA256, VERSION } from '../../etcd/facts-schema.js';

export { parseUntrusted, problems } from '../../errors/problems.js';

export const STAMP = re(/^\d{8}T\d{6}Z$/, 'a UTC stamp such as 20260101T000000Z');
export const RUN_ID = re(/^\d{8}T\d{6}Z-[a-z0-9-]{1,64}-[0-9a-f]{6}$/, 'STAMP-RUNBOOK-HEX6');

/** A file on the operator's machine: any absolute, normalised path without control characters (an operator's
 * folder may hold spaces or non-ASCII names); it goes to SFTP as one argument, never into a shell. */
export const LOCAL_PATH = z
  .string()
  .max(4096)
  .refine(
    (p) => p.startsWith('/') && !/[\u0000-\u001f\u007f]/.test(p) && posix.normalize(p) === p,
    'an absolute, normalised path without control characters',
  );

const LocalFileSchema = z
  .object({
    sha256: SHA256,
    bytes: count,
    keys: count.optional(),
    revision: count.optional(),
    storageVersion: VERSION.optional(),
    leases: count.optional(),
    role: z.literal('config').optional(),
    member: MEMBER_NAME.optional(),
    raw: z.boolean().optional(),
  })
  .strict();

/** The stored plan is only shown (status, report, watch); the runner recomputes it from the context. */
const PlanSchema = z
  .object({
    runbook: z.string(),
    cluster: z.string(),
    items: z.array(
      z.object({ kind: z.enum(['step', 'decision']), stateId: z.string(), id: z.string() }).passthrough(),
    ),
  })
  .passthrough();

export const RunRecordSchema = z
  .object({
    version: z.literal(1),
    runId: RUN_ID,
    runbook: re(/^[a-z0-9-]{1,64}$/, 'a runbook id'),
    runbookHash: SHA256,
    inventoryPath: LOCAL_PATH,
    inventoryHash: SHA256,
    params: z.record(re(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a parameter name'), z.string().max(4096)),
    stamp: STAMP,
    startedAt: z.string().datetime(),
    facts: FactsSchema,
    files: z.record(LOCAL_PATH, LocalFileSchema),
    plan: PlanSchema,
    secretParams: z.array(z.string()),
  })
  .strict();

/** Only the machine position is taken from snapshot.json; the rest of the actor state is rebuilt. */
export const SnapshotSchema = z
  .object({
    status: z.enum(['active', 'done']),
    value: re(/^[A-Za-z0-9._/-]{1,200}$/, 'a state id'),
  })
  .passthrough();
