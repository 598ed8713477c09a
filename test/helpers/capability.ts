// A suite that needs something of the machine: skipped where it is missing, but in CI, which provides it (setup.sh
// installs it), the run fails with one line naming it instead of passing silently.
import { expect, it } from 'vitest';

/** True when the capability is there; when it is not, registers a failing test in CI (or, if CI lacks it, says so). */
export function requires(capability: string, present: boolean, ciProvides = true): boolean {
  if (present) return true;
  if (process.env.CI && ciProvides)
    it(`has ${capability}`, () => expect.fail(`${capability} is missing: CI provides it (scripts/setup.sh)`));
  else
    console.warn(
      `skipped: ${capability} is missing on this machine${process.env.CI ? ' (CI lacks it too)' : ''}`,
    );
  return false;
}
