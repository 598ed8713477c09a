import { describe, expect, it } from 'vitest';
import { table } from '../../src/cli/snapshot/common.js';
import { jsonDepth, JsonTooDeep, parseBoundedJson } from '../../src/local/bounded-json.js';
import { safeText } from '../../src/render/safe-text.js';

describe('readers of hostile text', () => {
  it('a table of 200k rows (snapshot ls of a big snapshot) is drawn without overflowing the stack', () => {
    const rows = [['KEY'], ...Array.from({ length: 200_000 }, (_, i) => [`/registry/k${i}`])];
    expect(table(rows).split('\n')).toHaveLength(200_001);
  });

  it('keys and names with terminal escapes are shown escaped', () => {
    const key = '/registry/\u001b]0;owned\u0007\u001b[2J\r\u202e';
    const shown = table([['KEY'], [key]]).split('\n')[1]!;
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(shown).toContain('\\x1b]0;owned\\x07\\x1b[2J\\x0d\\u202e');
    expect(safeText('plain é ✓')).toBe('plain é ✓');
  });

  it('JSON nested past the limit is refused before JSON.parse recurses; strings do not count', () => {
    expect(() => parseBoundedJson('['.repeat(100_000) + ']'.repeat(100_000))).toThrow(JsonTooDeep);
    expect(jsonDepth('{"a":"[[[[[[\\"[[["}')).toBe(1);
    expect(parseBoundedJson('{"a":[1,{"b":2}]}')).toEqual({ a: [1, { b: 2 }] });
  });
});
