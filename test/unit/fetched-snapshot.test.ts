// A restore's decrypted snapshot in .lifeboat/fetched/ID/ goes when the run can no longer use it, and only then.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { removeFetched } from '../../src/backup/params.js';

const root = mkdtempSync(join(tmpdir(), 'lifeboat-fetched-'));
function fetched(id: string): string {
  const dir = join(root, '.lifeboat', 'fetched', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'etcd-cp-1.db'), 'secrets');
  return join(dir, 'etcd-cp-1.db');
}

describe('the decrypted snapshot of a restore', () => {
  it('is removed (with its folder) when the run ended or never started, kept while it can be resumed', () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const status of ['failed', 'awaiting-approval'] as const) {
        const f = fetched(`keep-${status}`);
        removeFetched({ snapshot: f }, status);
        expect(existsSync(f)).toBe(true);
      }
      for (const status of ['done', 'aborted', 'refused', 'not started'] as const) {
        const f = fetched(`gone-${status.replace(' ', '-')}`);
        removeFetched({ snapshot: f }, status);
        expect(existsSync(f)).toBe(false);
        expect(existsSync(join(f, '..'))).toBe(false);
      }
      // A snapshot the operator gave by path is never touched.
      const own = join(root, 'mine.db');
      writeFileSync(own, 'x');
      removeFetched({ snapshot: own }, 'done');
      expect(existsSync(own)).toBe(true);
      expect(err.mock.calls.map((c) => String(c[0]))).toContainEqual(
        expect.stringMatching(
          /^removed the decrypted snapshot .*gone-aborted\/etcd-cp-1\.db \(the run ended aborted\)\n$/,
        ),
      );
    } finally {
      err.mockRestore();
    }
  });
});
