// Orders test files longest first across projects, so the last files to start are short ones (the run ends together).
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Seconds per file (2 cores, three files at a time, 2026-12-02), for a checkout without vitest's own timing cache.
export const KNOWN_SECONDS: Record<string, number> = {
  'test/lab/runbook-readdress-platforms.test.ts': 152,
  'test/lab/access.test.ts': 124,
  'test/lab/faults.test.ts': 145,
  'test/lab/platforms.test.ts': 83,
  'test/lab/runbook-readdress.test.ts': 83,
  'test/lab/crash-sweep.test.ts': 135,
  'test/unit/taint.test.ts': 69,
  'test/lab/runbook-recover-quorum.test.ts': 60,
  'test/lab/runbook-renew-certs-layouts.test.ts': 58,
  'test/lab/runbook-backup-s3.test.ts': 51,
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
