// Conditions with deadlines: poll until true (or a value), fail with the last reason when time is up.
export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Shown in the timeout error. */
  what?: string;
}

/**
 * Polls `cond` until it returns a truthy value (returned) or the deadline passes (throws).
 * A throwing condition counts as "not yet"; its last message goes into the timeout error.
 */
export async function waitFor<T>(cond: () => T | Promise<T>, opts: WaitOptions): Promise<NonNullable<T>> {
  const until = Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
      last = '';
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= until) {
      throw new Error(
        `timed out after ${opts.timeoutMs} ms waiting for ${opts.what ?? 'condition'}${last ? `: ${last}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
