#!/usr/bin/env node
// `npm run release`: Lifeboat as one file for Linux x64 (release/lifeboat-linux-x64) and its sha256 beside it.
// The compiled CLI (dist/) bundled by esbuild into one CommonJS file, with the runbooks bundled in and the build's
// record defined; Node's single-executable blob made from it (sea-config.json); the blob injected by postject into a
// copy of this node binary. The result needs no Node, no node_modules and no file of the project at run time.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'release');
const WORK = join(OUT, 'build');
const NAME = 'lifeboat-linux-x64';
// The fuse Node's SEA support looks for in the binary (from Node's single-executable-applications doc).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const step = (what) => process.stderr.write(`release: ${what}\n`);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
const git = (args) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

if (process.platform !== 'linux' || process.arch !== 'x64') {
  process.stderr.write(
    `release: builds the Linux x64 executable only (this is ${process.platform}-${process.arch})\n`,
  );
  process.exit(2);
}

/** What `lifeboat version` of the executable prints: the commit it was built from and when. */
function buildRecord() {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const head = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    version,
    commit: `${head}${dirty ? ' (with uncommitted changes)' : ''}`,
    date,
    kind: 'single executable',
  };
}

/**
 * The registry of the executable: every runbook bundled in (a file loaded by URL cannot be), each with the hash of
 * its compiled file, the hash the checkout and the npm package record for the same runbook.
 */
async function embeddedRegistry() {
  const registry = join(ROOT, 'dist', 'src', 'engine', 'registry.js');
  const real = Object.keys(await import(pathToFileURL(registry).href))
    .sort()
    .join(',');
  if (real !== 'RUNBOOK_IDS,availableRunbooks,loadRunbook')
    throw new Error(
      `src/engine/registry.ts exports ${real}: teach scripts/release.mjs's embedded registry the same`,
    );
  const { RUNBOOK_IDS } = await import(pathToFileURL(join(ROOT, 'dist', 'runbooks', 'index.js')).href);
  const entries = RUNBOOK_IDS.map((id) => {
    const hash = sha256(join(ROOT, 'dist', 'runbooks', `${id}.js`));
    return `  ${JSON.stringify(id)}: { load: () => import('../../runbooks/${id}.js'), hash: '${hash}' },`;
  });
  const contents = `import { badInput } from '../errors/error.js';
import { RUNBOOK_IDS } from '../../runbooks/index.js';
export { RUNBOOK_IDS };
const RUNBOOKS = {
${entries.join('\n')}
};
export function availableRunbooks() {
  return RUNBOOK_IDS.filter((id) => Object.hasOwn(RUNBOOKS, id));
}
export async function loadRunbook(id) {
  const r = Object.hasOwn(RUNBOOKS, id) ? RUNBOOKS[id] : undefined;
  if (!r)
    throw badInput(\`unknown runbook '\${id}'\`, \`choose one of: \${availableRunbooks().join(', ')} ('lifeboat runbooks' lists them)\`);
  return { def: (await r.load()).default, hash: r.hash, file: \`lifeboat:runbooks/\${id}.js\` };
}
`;
  return {
    name: 'embedded-runbooks',
    setup(b) {
      b.onLoad({ filter: /[\\/]dist[\\/]src[\\/]engine[\\/]registry\.js$/ }, () => ({
        contents,
        loader: 'js',
        resolveDir: dirname(registry),
      }));
    },
  };
}

/**
 * ssh2's native parts (cpu-features, its crypto binding) are optional: it tries to load them and uses its JavaScript
 * ciphers when that fails. In the executable they fail at once, without Node's warning about require() from disk.
 */
const withoutNativeAddons = {
  name: 'without-native-addons',
  setup(b) {
    b.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({ path: args.path, namespace: 'no-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'no-addon' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path}: native addons are not in the single executable`)});`,
      loader: 'js',
    }));
  },
};

async function bundle(record) {
  step('bundling (esbuild)');
  const result = await build({
    entryPoints: [join(ROOT, 'dist', 'src', 'cli', 'main.js')],
    outfile: join(WORK, 'lifeboat.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // import.meta does not exist in CommonJS: the executable is the module (so the keyscan worker stays in-thread).
    banner: { js: 'var __lifeboatModuleUrl = require("node:url").pathToFileURL(process.execPath).href;' },
    define: { 'import.meta.url': '__lifeboatModuleUrl', LIFEBOAT_BUILD: JSON.stringify(record) },
    plugins: [await embeddedRegistry(), withoutNativeAddons],
    // Smaller code starts sooner (less to deserialize); names kept: errors and classes print as in the checkout.
    minify: true,
    keepNames: true,
    logLevel: 'warning',
    metafile: true,
  });
  writeFileSync(join(WORK, 'meta.json'), JSON.stringify(result.metafile));
}

function executable() {
  step('single-executable blob (node --experimental-sea-config sea-config.json)');
  run(process.execPath, ['--experimental-sea-config', 'sea-config.json']);
  const exe = join(OUT, NAME);
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // Node's symbols and debug info are a tenth of the file and nothing an operator runs needs.
  if (spawnSync('strip', ['--version'], { stdio: 'ignore' }).status === 0) run('strip', [exe]);
  else step('strip not found (binutils): the executable keeps its symbols (~12 MiB more)');
  step('injecting the blob (postject)');
  const postject = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
  run(process.execPath, [
    postject,
    exe,
    'NODE_SEA_BLOB',
    join(WORK, 'sea-prep.blob'),
    '--sentinel-fuse',
    SEA_FUSE,
  ]);
  writeFileSync(`${exe}.sha256`, `${sha256(exe)}  ${NAME}\n`);
  return exe;
}

run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')]);
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const record = buildRecord();
await bundle(record);
const exe = executable();
const mib = (statSync(exe).size / 2 ** 20).toFixed(1);
step(`${exe} (${mib} MiB, commit ${record.commit}), sha256 in ${NAME}.sha256`);
