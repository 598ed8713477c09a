// `lifeboat version` in a checkout: the package's version, the commit git names, and the kind of build.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildInfo, isSingleExecutable } from '../../src/cli/version/build.js';

describe('version', () => {
  it('names the checkout, its commit and the package version', () => {
    const info = buildInfo();
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(isSingleExecutable()).toBe(false);
    expect(info.kind).toBe('checkout');
    expect(info.version).toBe(pkg.version);
    expect(info.commit.startsWith(head)).toBe(true);
  });
});
