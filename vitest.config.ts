import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests with fakes, and end-to-end tests on the real lab. Lab files run three at a time (each
// lab claims its own 127.0.N block; most of a lab test is waiting on etcd and SSH), tests inside a file in order.
export default defineConfig({
  test: {
    maxWorkers: 3,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          globalSetup: ['test/lab/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: true,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
