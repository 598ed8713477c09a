// No two top-level folders of src/ import each other, directly or through others: each layer can be read on its own.
// Measured when this test came: backup <-> inventory (the `backup:` schema) and lab/modes.ts <-> lab/render.ts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  folderCycles,
  folderEdges,
  folderMap,
  mapViolations,
  relativeImports,
  runtimeFileEdges,
  type FolderEdge,
} from '../helpers/import-graph.js';

const explain = (cycle: string[], edges: FolderEdge[]) =>
  `${cycle.join(' <-> ')}: ${edges
    .filter((e) => cycle.includes(e.from) && cycle.includes(e.to))
    .map((e) => e.example)
    .join('; ')}`;

describe('import graph', () => {
  it('finds static, type-only, re-export and dynamic imports', () => {
    const source = [
      "import { a } from '../engine/a.js';",
      "import type { B } from './b.js';",
      "export { c } from '../steps/c.js';",
      "const d = await import('../lab/d.js');",
      "import '../shell/side-effect.js';",
      "import { readFileSync } from 'node:fs';",
      "export type { E } from './e.js';",
      'const text = "not an import from \'./f.js\'";',
    ].join('\n');
    expect(relativeImports(source)).toEqual([
      { spec: '../engine/a.js', typeOnly: false },
      { spec: './b.js', typeOnly: true },
      { spec: '../steps/c.js', typeOnly: false },
      { spec: '../lab/d.js', typeOnly: false },
      { spec: '../shell/side-effect.js', typeOnly: false },
      { spec: './e.js', typeOnly: true },
    ]);
  });

  it('detects a cycle through a third folder', () => {
    const edges = [
      { from: 'a', to: 'b', example: 'a/x.ts -> b/y.ts' },
      { from: 'b', to: 'c', example: 'b/y.ts -> c/z.ts' },
      { from: 'c', to: 'a', example: 'c/z.ts -> a/x.ts' },
      { from: 'c', to: 'd', example: 'c/z.ts -> d/w.ts' },
    ];
    expect(folderCycles(edges)).toEqual([['a', 'b', 'c']]);
  });

  it('has no cycle between the top-level folders of src/', () => {
    const edges = folderEdges(resolve('src'));
    expect(edges.length).toBeGreaterThan(10);
    expect(folderCycles(edges).map((c) => explain(c, edges))).toEqual([]);
  });

  // Type-only imports may go both ways (an interface and its implementations); code that loads code may not.
  it('has no cycle between files that load each other', () => {
    const edges = runtimeFileEdges(resolve('src'));
    expect(edges.length).toBeGreaterThan(100);
    expect(folderCycles(edges).map((c) => explain(c, edges))).toEqual([]);
  });

  it('follows the folder map of docs/architecture.md', () => {
    const map = folderMap(readFileSync(resolve('docs/architecture.md'), 'utf8'));
    const edges = folderEdges(resolve('src'));
    expect(map.size).toBeGreaterThan(15);
    expect(mapViolations(edges, map)).toEqual([]);
  });

  it('reads a folder map and names an import it does not allow', () => {
    const map = folderMap(
      [
        '| folder | owns | may import |',
        '| --- | --- | --- |',
        '| `errors` | codes | — |',
        '| `shell` | scripts | errors |',
        '| `cli` | commands | every folder |',
      ].join('\n'),
    );
    const edges = [
      { from: 'shell', to: 'errors', example: 'shell/sh.ts -> errors/error.ts' },
      { from: 'errors', to: 'shell', example: 'errors/exit.ts -> shell/sh.ts' },
      { from: 'cli', to: 'shell', example: 'cli/main.ts -> shell/sh.ts' },
      { from: 'lab', to: 'errors', example: 'lab/up.ts -> errors/error.ts' },
    ];
    expect(mapViolations(edges, map)).toEqual([
      'errors may not import shell (errors/exit.ts -> shell/sh.ts)',
      'lab is not in the folder map (lab/up.ts -> errors/error.ts)',
    ]);
  });
});
