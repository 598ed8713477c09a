import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer.js';

// The lab files run again on etcd 3.7 and 3.5 (the whole suite runs on the lab's default, 3.6): a restore from a
// snapshot, quorum recovery by both strategies, and (3.7) the free-space and defrag incidents, whose alarms and
// defragmentation changed between lines. npm run test:etcd37 / test:etcd35 run only those.
const ON_ETCD_37 = [
  'test/lab/runbook-restore-single-master.test.ts',
  'test/lab/runbook-recover-quorum.test.ts',
  'test/lab/incidents.test.ts',
];
const ON_ETCD_35 = [
  'test/lab/runbook-restore-single-master.test.ts',
  'test/lab/runbook-recover-quorum.test.ts',
];

const lab = {
  globalSetup: ['test/lab/global-setup.ts'],
  // Deadlines for a hang, not pacing: the longest lab test takes ~75 s with three files at once on 2 cores.
  testTimeout: 300_000,
  hookTimeout: 240_000,
  fileParallelism: true,
  sequence: { concurrent: false },
};

// Four projects in one run sharing three workers: unit tests with fakes, end-to-end tests on the real lab (the lab's
// default etcd, 3.6), and the version-specific lab files again on etcd 3.7 and 3.5, scheduled longest file first (test/sequencer.ts). A lab file spends
// much of its time waiting on etcd and SSH: with two at a time the 2 cores were half idle (1047 s), with three the
// suite took 687 s at 86 % busy (docs/performance.md). Each lab claims its own 127.0.N block; tests in a file in order.
export default defineConfig({
  test: {
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
    projects: [
      // Unit deadlines for a hang: the taint cases take ~1 s alone and 20-27 s beside three lab files on 2 cores.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 90_000 } },
      { test: { name: 'lab', include: ['test/lab/**/*.test.ts'], ...lab } },
      { test: { name: 'lab-etcd3.7', include: ON_ETCD_37, env: { LAB_ETCD_VERSION: '3.7' }, ...lab } },
      { test: { name: 'lab-etcd3.5', include: ON_ETCD_35, env: { LAB_ETCD_VERSION: '3.5' }, ...lab } },
    ],
  },
});
