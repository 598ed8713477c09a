#!/usr/bin/env node
// Generates src/k8s/schema/generated/ from the upstream API definitions Debian ships (generated.proto for field
// numbers and wire types, the Go structs beside them for JSON names, omitempty/omitzero, inline and pointers).
// Usage: node scripts/gen-k8s-schema.mjs [--check] [--cache DIR] [--out DIR]   (DIR defaults to .cache/debian/sid)
// Fetch the sources first: scripts/fetch-deb.sh sid golang-k8s-api-dev golang-k8s-apimachinery-dev \
//   golang-k8s-apiextensions-apiserver-dev golang-github-openshift-api-dev
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outAt = args.indexOf('--out'); // another folder to write or --check (the unit test's copy)
const OUT = outAt >= 0 ? args[outAt + 1] : join(ROOT, 'src/k8s/schema/generated');
const check = args.includes('--check');
const cacheAt = args.indexOf('--cache');
const CACHE = cacheAt >= 0 ? args[cacheAt + 1] : join(ROOT, '.cache/debian/sid');

// Each source: Debian package, Go source root inside it, proto package prefix -> our short prefix.
const SOURCES = [
  { pkg: 'golang-k8s-apimachinery-dev', dir: 'k8s.io/apimachinery', only: ['pkg/apis/meta/v1'] },
  { pkg: 'golang-k8s-api-dev', dir: 'k8s.io/api' },
  {
    pkg: 'golang-k8s-apiextensions-apiserver-dev',
    dir: 'k8s.io/apiextensions-apiserver',
    only: ['pkg/apis/apiextensions/v1', 'pkg/apis/apiextensions/v1beta1'],
  },
  { pkg: 'golang-github-openshift-api-dev', dir: 'github.com/openshift/api', prefix: 'openshift.' },
];
const SHORT = [
  ['k8s.io.apimachinery.pkg.apis.', ''],
  ['k8s.io.apiextensions_apiserver.pkg.apis.', ''],
  ['k8s.io.api.', ''],
  ['github.com.openshift.api.', 'openshift.'],
];
// apimachinery types whose JSON form is their own (see builtins.ts); referenced by full proto name.
const BUILTIN = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'mtime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'dur',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'raw',
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'qty',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'ios',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'raw',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON': 'raw',
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1.JSON': 'raw',
};
const SCALAR = {
  string: 's',
  bool: 'b',
  int32: 'i32',
  int64: 'i64',
  uint32: 'u32',
  uint64: 'u64',
  fixed64: 'u64',
  double: 'f64',
  bytes: 'by',
};
// kube-apiserver storage paths that are not the plural resource name (pkg/registry/*/storage).
const STORAGE = {
  'v1/Service': 'services/specs',
  'v1/Endpoints': 'services/endpoints',
  'v1/Node': 'minions',
  'v1/ReplicationController': 'controllers',
  'networking.k8s.io/Ingress': 'ingress',
  'extensions/Ingress': 'ingress',
  'policy/PodSecurityPolicy': 'podsecuritypolicy',
  'apiextensions.k8s.io/CustomResourceDefinition': 'apiextensions.k8s.io/customresourcedefinitions',
};

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'vendor' || e.name === 'testdata') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name === 'generated.proto') out.push(p);
  }
  return out;
}

const short = (full) => {
  for (const [from, to] of SHORT) if (full.startsWith(from)) return to + full.slice(from.length);
  throw new Error(`gen-k8s-schema: no short name for ${full}`);
};

/** generated.proto -> { pkg, messages: [{ name, fields: [{ label, type, name, num, mapValue }] }] }. */
function parseProto(text) {
  const pkg = /^package ([\w.]+);/m.exec(text)[1];
  const messages = [];
  let cur;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    let m;
    if ((m = /^message (\w+) \{$/.exec(line))) messages.push((cur = { name: m[1], fields: [] }));
    else if (line === '}') cur = undefined;
    else if (cur && (m = /^map<string, ([\w.]+)> (\w+) = (\d+);$/.exec(line)))
      cur.fields.push({ label: 'map', type: m[1], name: m[2], num: Number(m[3]) });
    else if (cur && (m = /^(optional|repeated|required) ([\w.]+) (\w+) = (\d+);$/.exec(line)))
      cur.fields.push({ label: m[1], type: m[2], name: m[3], num: Number(m[4]) });
    else if (cur && line && !line.startsWith('option ') && !line.startsWith('reserved'))
      throw new Error(`gen-k8s-schema: ${pkg}.${cur.name}: cannot read '${line}'`);
  }
  return { pkg, messages };
}

/** The Go structs of a package: name -> { byNum: Map<num, {json, opts, ptr}>, typeMeta, comments }. */
function parseGo(dir) {
  const structs = new Map();
  const aliases = new Set();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.go') || f.endsWith('_test.go') || f.startsWith('zz_generated') || f.endsWith('.pb.go'))
      continue;
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    let cur;
    let doc = [];
    for (const line of lines) {
      let m;
      if (!cur && /^\s*\/\//.test(line)) doc.push(line);
      else if (!cur && (m = /^type (\w+) struct \{/.exec(line))) {
        cur = { byNum: new Map(), typeMeta: false, doc: doc.join('\n') };
        structs.set(m[1], cur);
      } else if (!cur && (m = /^type (\w+) (\[\]|map\[)/.exec(line))) aliases.add(m[1]);
      else if (cur && /^\}/.test(line)) cur = undefined;
      else if (cur && (m = /^\s*(?:(\w+)\s+)?([*\w.[\]]+)\s+`([^`]*)`/.exec(line))) {
        if (/^metav1\.TypeMeta$|^TypeMeta$/.test(m[2]) && !m[1]) cur.typeMeta = true;
        const pb = /protobuf:"\w+,(\d+),/.exec(m[3]);
        if (!pb) continue;
        const js = /json:"([^"]*)"/.exec(m[3]);
        const [jname, ...opts] = (js ? js[1] : '').split(',');
        const goName = m[1] ?? m[2].split('.').pop();
        cur.byNum.set(Number(pb[1]), { json: jname || goName, opts, ptr: m[2].startsWith('*') });
      }
      // The +genclient tags sit above the doc comment, often with a blank line between: keep both.
      if (!cur && !/^\s*(\/\/.*)?$/.test(line)) doc = [];
    }
  }
  return { structs, aliases };
}

function fieldToken(pkg, f, go, resolve) {
  const full = f.type.includes('.') ? f.type.replace(/^\./, '') : `${pkg}.${f.type}`;
  const type = SCALAR[f.type] ?? BUILTIN[full] ?? resolve(full);
  const inline = go?.opts.includes('inline');
  const ptr = go?.ptr && f.label === 'optional' ? '*' : '';
  const shape = f.label === 'repeated' ? '[]' : f.label === 'map' ? '{}' : '';
  const flag = inline
    ? '^'
    : go?.opts.includes('omitzero')
      ? '~'
      : go && !go.opts.includes('omitempty')
        ? '!'
        : '';
  return `${inline ? '' : (go?.json ?? f.name)}=${f.num}:${ptr}${shape}${type}${flag}`;
}

function plural(kind) {
  const k = kind.toLowerCase();
  if (k === 'endpoints') return k;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

function generate() {
  const files = []; // { module, pkg, messages: [[name, spec]], source }
  const kinds = [];
  const versions = {};
  const known = new Set();
  const parsed = [];
  for (const src of SOURCES) {
    const base = join(CACHE, src.pkg, 'usr/share/gocode/src', src.dir);
    if (!existsSync(base))
      throw new Error(
        `gen-k8s-schema: ${base} is missing; run scripts/fetch-deb.sh sid ${SOURCES.map((s) => s.pkg).join(' ')}`,
      );
    versions[src.pkg] = readFileSync(join(CACHE, src.pkg, '.version'), 'utf8').trim();
    for (const proto of walk(base).sort()) {
      const rel = relative(base, dirname(proto));
      if (src.only && !src.only.includes(rel)) continue;
      const p = parseProto(readFileSync(proto, 'utf8'));
      const doc = ['doc.go', 'register.go']
        .map((f) =>
          existsSync(join(dirname(proto), f)) ? readFileSync(join(dirname(proto), f), 'utf8') : '',
        )
        .join('\n');
      const group = /\+groupName=([\w.-]*)/.exec(doc)?.[1] ?? /GroupName\s*=\s*"([^"]*)"/.exec(doc)?.[1];
      parsed.push({ src, rel, p, go: parseGo(dirname(proto)), group });
      for (const m of p.messages) known.add(`${p.pkg}.${m.name}`);
    }
  }
  const resolve = (full) => {
    if (!known.has(full)) throw new Error(`gen-k8s-schema: ${full} is referenced but not generated`);
    return short(full);
  };
  for (const { src, rel, p, go, group } of parsed) {
    const messages = [];
    for (const m of p.messages) {
      const full = `${p.pkg}.${m.name}`;
      if (BUILTIN[full]) continue;
      const st = go.structs.get(m.name);
      const wrap = go.aliases.has(m.name) && m.fields.length === 1 && m.fields[0].name === 'items';
      const toks = m.fields.map((f) =>
        fieldToken(p.pkg, f, wrap ? undefined : st?.byNum.get(f.num), resolve),
      );
      messages.push([short(full), (wrap ? ['@', ...toks] : toks).join(' ')]);
      const md = m.fields.find((f) => f.name === 'metadata');
      if (st?.typeMeta && group !== undefined && !m.name.endsWith('List')) {
        const version = p.pkg.split('.').pop();
        const apiVersion = group ? `${group}/${version}` : version;
        const storage = STORAGE[`${group || 'v1'}/${m.name}`];
        const namespaced = !/\+genclient:nonNamespaced/.test(st.doc) && md !== undefined;
        kinds.push([apiVersion, m.name, short(full), storage ?? plural(m.name), namespaced]);
      }
    }
    const module = short(p.pkg);
    files.push({ module, messages, source: `${src.dir}/${rel} (${src.pkg} ${versions[src.pkg]})` });
  }
  return { files, kinds, versions };
}

const HEADER = (source) =>
  `// GENERATED by scripts/gen-k8s-schema.mjs from ${source}: do not edit; regenerate.
// Derived from the Kubernetes/OpenShift API definitions, Copyright The Kubernetes Authors / Red Hat,
// licensed under the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
`;

function render({ files, kinds, versions }) {
  const out = new Map();
  const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for (const f of files) {
    const body = f.messages.map(([n, s]) => `  ${q(n)}: ${q(s)},`).join('\n');
    out.set(
      `${f.module}.ts`,
      `${HEADER(f.source)}import type { MessageTable } from '../types.js';\n\nexport const TABLE: MessageTable = {\n${body}\n};\n`,
    );
  }
  const id = (m) => m.replace(/[^\w]/g, '_');
  const imports = files.map((f) => `import { TABLE as ${id(f.module)} } from './${f.module}.js';`).join('\n');
  const spread = files.map((f) => `  ...${id(f.module)},`).join('\n');
  const rows = kinds.map(([a, k, m, r, ns]) => `  [${q(a)}, ${q(k)}, ${q(m)}, ${q(r)}, ${ns}],`).join('\n');
  const ver = Object.entries(versions)
    .map(([p, v]) => `  ${q(p)}: ${q(v)},`)
    .join('\n');
  out.set(
    'index.ts',
    `${HEADER('the Debian packages below')}import type { MessageTable } from '../types.js';\n${imports}\n\n` +
      `/** Debian package -> version the table was generated from. */\nexport const SOURCE_VERSIONS: Record<string, string> = {\n${ver}\n};\n\n` +
      `export const GENERATED: MessageTable = {\n${spread}\n};\n\n` +
      `/** [apiVersion, kind, message, storage resource, namespaced] for every top-level kind. */\n` +
      `export const GENERATED_KINDS: [string, string, string, string, boolean][] = [\n${rows}\n];\n`,
  );
  return out;
}

try {
  const files = render(generate());
  if (check) {
    const have = existsSync(OUT) ? readdirSync(OUT).filter((f) => f.endsWith('.ts')) : [];
    const bad = [...files.keys()].filter(
      (f) => !existsSync(join(OUT, f)) || readFileSync(join(OUT, f), 'utf8') !== files.get(f),
    );
    bad.push(...have.filter((f) => !files.has(f)));
    if (bad.length > 0) {
      console.error(
        `gen-k8s-schema: ${bad.length} file(s) out of date (${bad.slice(0, 5).join(', ')}); run node scripts/gen-k8s-schema.mjs`,
      );
      process.exit(1);
    }
    console.log(`gen-k8s-schema: ${files.size} files up to date`);
  } else {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const [f, text] of files) writeFileSync(join(OUT, f), text);
    console.log(`gen-k8s-schema: wrote ${files.size} files to ${relative(ROOT, OUT)}`);
  }
} catch (err) {
  console.error(err.message);
  process.exit(2);
}
