// The import graph of src/ between top-level folders (engine, platform, steps, lab, ...), and its cycles.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface FolderEdge {
  /** Folder (or file) names. */
  from: string;
  to: string;
  /** One file-level import that makes the edge, for the failure message. */
  example: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

export interface ImportRef {
  spec: string;
  /** `import type` / `export type`: erased at compile time, no load order. */
  typeOnly: boolean;
}

/** Relative imports of a module: static, re-exports, side-effect and dynamic `import('...')`, parsed by TypeScript. */
export function relativeImports(source: string): ImportRef[] {
  const file = ts.createSourceFile('x.ts', source, ts.ScriptTarget.Latest, false);
  const found: ImportRef[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean) => {
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.'))
      found.push({ spec: spec.text, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, node.importClause?.isTypeOnly ?? false);
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node.arguments[0], false);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Edges between the nodes `nodeOf` names (a file's folder, or the file itself); imports inside one node are left out. */
export function importEdges(
  srcDir: string,
  nodeOf: (file: string) => string,
  opts: { runtimeOnly?: boolean } = {},
): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const file of tsFiles(srcDir)) {
    for (const { spec, typeOnly } of relativeImports(readFileSync(file, 'utf8'))) {
      if (typeOnly && opts.runtimeOnly) continue;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (relative(srcDir, target).startsWith('..')) continue;
      const from = nodeOf(file);
      const to = nodeOf(target);
      if (from === to || edges.has(`${from}>${to}`)) continue;
      const example = `${relative(srcDir, file)} -> ${relative(srcDir, target)}`;
      edges.set(`${from}>${to}`, { from, to, example });
    }
  }
  return [...edges.values()];
}

/** Folder-to-folder edges: a file in src/A importing a file in src/B (A != B). Files directly in src/ are folder '.'. */
export function folderEdges(srcDir: string): FolderEdge[] {
  return importEdges(srcDir, (file) => {
    const parts = relative(srcDir, file).split(sep);
    return parts.length > 1 ? parts[0]! : '.';
  });
}

/** File-to-file edges that load code (type-only imports left out), each file named by its path under srcDir. */
export function runtimeFileEdges(srcDir: string): FolderEdge[] {
  return importEdges(srcDir, (file) => relative(srcDir, file), { runtimeOnly: true });
}

/** Strongly connected components of more than one folder (Tarjan): each is a set of folders importing each other. */
export function folderCycles(edges: FolderEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let top = stack.pop()!; ; top = stack.pop()!) {
      onStack.delete(top);
      component.push(top);
      if (top === node) break;
    }
    if (component.length > 1) components.push(component.sort());
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return components;
}

/** The folder map of docs/architecture.md: folder -> the folders it may import ('*' for every folder). */
export function folderMap(markdown: string): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const folder = /^`([a-z0-9]+)`$/.exec(cells[1] ?? '')?.[1];
    const allowed = cells[3];
    if (!folder || allowed === undefined || cells.length !== 5) continue;
    const folders = allowed.split(/,\s*/).filter((name) => /^[a-z0-9]+$/.test(name));
    map.set(folder, allowed === 'every folder' ? new Set(['*']) : new Set(folders));
  }
  return map;
}

/** Each folder edge the map does not allow, as one line naming the import that makes it. */
export function mapViolations(edges: FolderEdge[], map: Map<string, Set<string>>): string[] {
  return edges
    .filter((edge) => edge.from !== '.' && edge.to !== '.')
    .flatMap((edge) => {
      const allowed = map.get(edge.from);
      if (!allowed) return [`${edge.from} is not in the folder map (${edge.example})`];
      if (allowed.has('*') || allowed.has(edge.to)) return [];
      return [`${edge.from} may not import ${edge.to} (${edge.example})`];
    })
    .sort();
}
