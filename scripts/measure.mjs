#!/usr/bin/env node
// Measures what the readability rules bound: functions over 100 lines and lines over 120 characters in src/ and
// runbooks/ (generated tables and lab seed data left out). Prints both; --check exits 1 when a bound is broken.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOTS = ['src', 'runbooks'];
const SKIP = [/^src\/k8s\/schema\/generated\//, /^src\/lab\/seed\.ts$/];
const MAX_FUNCTION_LINES = 100;
const MAX_LINE = 120;
const MAX_LONG_LINES = 30;

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });

const long = [];
const functions = [];
for (const file of ROOTS.flatMap(files)) {
  const rel = relative('.', file);
  if (SKIP.some((re) => re.test(rel))) continue;
  const text = readFileSync(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    if (line.length > MAX_LINE) long.push(`${rel}:${i + 1} (${line.length})`);
  });
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.end).line;
      const lines = end - start + 1;
      if (lines > MAX_FUNCTION_LINES) {
        const name = node.name?.getText(source) ?? node.parent?.name?.getText?.(source) ?? '(anonymous)';
        functions.push(`${rel}:${start + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

console.log(`functions over ${MAX_FUNCTION_LINES} lines: ${functions.length}`);
for (const f of functions) console.log(`  ${f}`);
console.log(`lines over ${MAX_LINE} characters: ${long.length} (bound: under ${MAX_LONG_LINES})`);
for (const l of long) console.log(`  ${l}`);
if (process.argv.includes('--check') && (functions.length > 2 || long.length >= MAX_LONG_LINES))
  process.exit(1);
