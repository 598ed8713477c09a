// The shape of `backup:` in the inventory (zod, the single source of it).
import { z } from 'zod';

/** `backup:` in the inventory; `--set to=...` (and the other keys) override it per run. */
export const BackupConfigSchema = z
  .object({
    to: z.string().min(1).optional(),
    endpoint: z.url().optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .optional(),
    pathStyle: z.boolean().optional(),
    profile: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    encrypt: z
      .object({ recipients: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
    keep: z
      .object({ last: z.number().int().min(1).optional(), days: z.number().int().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();
export type BackupConfig = z.infer<typeof BackupConfigSchema>;
