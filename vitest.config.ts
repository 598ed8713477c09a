import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer.js';

// The runbook files whose behaviour differs by etcd version, run again on 3.4 (npm run test:etcd34 runs only those).
const ETCD34 = [
  'test/lab/runbook-restore-single-master.test.ts',
  'test/lab/runbook-restore-multi-master.test.ts',
  'test/lab/runbook-recover-quorum.test.ts',
  'test/lab/runbook-replace-member.test.ts',
  'test/lab/runbook-backup.test.ts',
  'test/lab/watch-restore.test.ts',
  'test/lab/free-space-quota.test.ts',
  'test/lab/incidents.test.ts',
];

const lab = {
  globalSetup: ['test/lab/global-setup.ts'],
  testTimeout: 180_000,
  hookTimeout: 120_000,
  fileParallelism: true,
  sequence: { concurrent: false },
};

// Three projects in one run sharing two workers: unit tests with fakes, end-to-end tests on the real lab (etcd 3.5),
// and the version-specific lab files on etcd 3.4, scheduled longest file first (test/sequencer.ts). Lab files run
// two at a time (the suite is CPU-bound on 2 cores: a third lab file only adds contention and timeouts; each lab
// claims its own 127.0.N block); tests inside a file in order.
export default defineConfig({
  test: {
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'lab', include: ['test/lab/**/*.test.ts'], ...lab } },
      { test: { name: 'lab-etcd3.4', include: ETCD34, env: { LAB_ETCD_VERSION: '3.4' }, ...lab } },
    ],
  },
});
