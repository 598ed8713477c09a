import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/machine.js';
import { loadRunbook } from '../../src/engine/registry.js';
import { diagramSvg, wrap } from '../../src/documents/svg/diagram.js';
import { findAll, parseXml } from '../helpers/xml.js';

const states = (svg: string) =>
  findAll(parseXml(svg), (n) => n.name === 'g' && n.attrs.class?.startsWith('lb-node') === true);

describe('SVG diagram drawn offline from the machine', () => {
  it('`show recover-quorum --format svg` is valid SVG with a node per state, decisions and destructive steps marked', () => {
    const svg = execFileSync('node', ['bin/lifeboat', 'show', 'recover-quorum', '--format', 'svg'], {
      encoding: 'utf8',
    });
    const root = parseXml(svg);
    expect(root.children[0]?.name).toBe('svg');
    return loadRunbook('recover-quorum').then(({ def }) => {
      const c = compile(def);
      const nodes = states(svg);
      const ids = nodes.map((n) => n.attrs['data-state']);
      for (const id of c.states.keys()) expect(ids).toContain(id);
      expect(ids).toContain('done');
      const decisions = nodes.filter((n) => n.attrs.class!.includes('lb-decision'));
      expect(decisions.map((n) => n.attrs['data-state']).sort()).toEqual(
        [...c.states.values()]
          .filter((i) => i.kind === 'decision')
          .map((i) => i.id)
          .sort(),
      );
      const destructive = nodes
        .filter((n) => n.attrs.class!.includes('destructive'))
        .map((n) => n.attrs['data-state']);
      const expected = [...c.states.values()]
        .filter((i) => i.kind === 'step' && i.step.destructive)
        .map((i) => i.id);
      expect(destructive.sort()).toEqual(expected.sort());
      // Branch labels of the decisions are drawn on their edges.
      const labels = findAll(root, (n) => n.attrs.class === 'lb-edge-label').map((n) => n.text);
      expect(labels).toEqual(expect.arrayContaining(['snapshot', 'force-new-cluster', 'refuse', 'lost']));
    });
  });

  it('marks the path taken and escapes hostile titles', async () => {
    const { def } = await loadRunbook('backup');
    const c = compile(def);
    const first = [...c.states.keys()][0]!;
    const svg = diagramSvg(c, { marks: new Map([[first, 'failed']]), title: '<script>"x" & \'y\'' });
    const nodes = states(svg);
    expect(nodes.find((n) => n.attrs['data-state'] === first)!.attrs.class).toContain('failed');
    expect(svg).not.toContain('<script>');
    expect(findAll(parseXml(svg), (n) => n.name === 'title')[0]!.text).toBe('<script>"x" & \'y\'');
  });

  it('wraps long titles into at most N lines of bounded width', () => {
    const lines = wrap('a '.repeat(200), 20, 3);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(20);
  });
});
