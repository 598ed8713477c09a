// Orders test files longest first across projects, so the last files to start are short ones (the run ends together).
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Seconds per file (2 cores, three files at a time, 2026-12-07, a loaded run), for a checkout without vitest's own
// timing cache: only their order matters.
export const KNOWN_SECONDS: Record<string, number> = {
  'test/lab/runbook-readdress-platforms.test.ts': 947,
  'test/lab/access.test.ts': 582,
  'test/lab/crash-sweep.test.ts': 570,
  'test/lab/faults.test.ts': 520,
  'test/lab/ship.test.ts': 491,
  'test/lab/platforms.test.ts': 445,
  'test/lab/versions.test.ts': 420,
  'test/lab/incidents.test.ts': 407,
  'test/lab/runbook-renew-certs.test.ts': 397,
  'test/lab/runbook-backup.test.ts': 348,
  'test/lab/runbook-restore-multi-master.test.ts': 340,
  'test/lab/runbook-replace-member.test.ts': 330,
  'test/lab/runbook-restore-single-master.test.ts': 318,
  'test/lab/runbook-renew-certs-platforms.test.ts': 300,
  'test/lab/commander-path.test.ts': 286,
  'test/lab/demo.test.ts': 283,
  'test/lab/runbook-readdress.test.ts': 278,
  'test/lab/runbook-restore-new-machines.test.ts': 273,
  'test/lab/engine.test.ts': 261,
  'test/lab/commander-gates.test.ts': 250,
  'test/lab/runbook-renew-certs-layouts.test.ts': 226,
  'test/lab/runbook-recover-quorum.test.ts': 222,
  'test/lab/backup-s3.test.ts': 217,
  'test/lab/runbook-backup-s3.test.ts': 198,
  'test/unit/taint.test.ts': 150,
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const seconds = (f: TestSpecification) => {
      const path = relative(root, f.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${path}`)?.duration;
      return cached !== undefined ? cached / 1000 : (KNOWN_SECONDS[path] ?? 0);
    };
    // Stable: files of equal (or unknown) length keep the base order (lab projects before unit, larger files first).
    return base
      .map((f, i) => ({ f, i, s: seconds(f) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map((x) => x.f);
  }
}
