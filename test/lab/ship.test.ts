// What operators install: the npm tarball in an empty prefix, and the single executable in an empty folder with no
// node on PATH, each run against the lab. Cost: one 3-member lab (~15 s), `npm pack` + `npm install -g` of the tarball
// (~60-130 s; the install fetches the dependencies from the npm registry), `npm run release` (~35 s), one
// recover-quorum run (~30 s).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBreak, labDown, labUp, type Lab } from '../../src/lab/index.js';
import { labTool } from './runbook-helpers.js';

const ROOT = process.cwd();
const CHECKOUT = join(ROOT, 'bin', 'lifeboat');
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'lb-ship-'));
let lab: Lab;
let snapshotFile: string;

/** Runs a command to its end; stdout, stderr and the exit status, never a throw. */
function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 240_000, maxBuffer: 1 << 26, ...opts });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : '') };
}

/** A plan's timestamps and run id differ between two invocations; everything else must not. */
const normalize = (plan: string) =>
  plan.replace(/\d{8}[Tt]\d{6}[Zz]/g, 'STAMP').replace(/(recover-quorum-)[0-9a-f]{6}\b/g, '$1RUNID');

beforeAll(async () => {
  lab = await labUp({ dir: join(work, 'lab'), seedData: true });
  snapshotFile = join(work, 'lab-snapshot.db');
  await run(
    labTool(lab, 'etcdctl'),
    [
      `--endpoints=${lab.members[0]!.clientURL}`,
      `--cacert=${lab.client.ca}`,
      `--cert=${lab.client.cert}`,
      `--key=${lab.client.key}`,
      'snapshot',
      'save',
      snapshotFile,
    ],
    { env: { ...process.env, ETCDCTL_API: '3' } },
  );
});
const alone = mkdtempSync(join(tmpdir(), 'lb-sea-'));
afterAll(async () => {
  if (lab) await labDown(lab.dir);
  for (const dir of [work, alone]) rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('installed from the packed tarball into an empty prefix, runs --help and snapshot inspect', () => {
    const packDir = join(work, 'pack');
    mkdirSync(packDir);
    const pack = sh('npm', ['pack', '--pack-destination', packDir, '--json'], { cwd: ROOT });
    expect(pack.status, pack.stderr).toBe(0);
    const [tarball] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const packed = tarball!.files.map((f) => f.path);
    expect(packed).toContain('dist/src/cli/main.js');
    expect(packed).toContain('dist/runbooks/recover-quorum.js');
    expect(packed).toContain('dist/build-info.json');
    expect(packed.filter((p) => /^(src|test|bench|docs)\/|\.ts$|\.map$/.test(p))).toEqual([]);

    const prefix = join(work, 'prefix');
    const install = sh(
      'npm',
      ['install', '-g', '--prefix', prefix, join(packDir, tarball!.filename), '--no-audit'],
      {
        cwd: work,
      },
    );
    expect(install.status, install.stderr).toBe(0);
    const installed = join(prefix, 'bin', 'lifeboat');

    const help = sh(installed, ['--help'], { cwd: work });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: lifeboat <command>/m);
    const version = sh(installed, ['version', '--output', 'json'], { cwd: work });
    expect(JSON.parse(version.stdout)).toMatchObject({ kind: 'npm package' });

    const inspect = sh(installed, ['snapshot', 'inspect', snapshotFile], { cwd: work });
    expect(inspect.status, inspect.stderr).toBe(0);
    const fromCheckout = sh(process.execPath, [CHECKOUT, 'snapshot', 'inspect', snapshotFile], { cwd: work });
    expect(fromCheckout.status, fromCheckout.stderr).toBe(0);
    expect(Number(/^Total keys:\s+(\d+)/m.exec(inspect.stdout)?.[1])).toBeGreaterThan(1000);
    expect(inspect.stdout).toBe(fromCheckout.stdout);
  });
});

describe('the single executable', () => {
  let exe: string;
  let noNode: NodeJS.ProcessEnv;

  beforeAll(() => {
    const release = sh('npm', ['run', 'release'], { cwd: ROOT });
    expect(release.status, release.stderr).toBe(0);
    const built = join(ROOT, 'release', 'lifeboat-linux-x64');
    const [sum, name] = readFileSync(`${built}.sha256`, 'utf8').trim().split(/\s+/);
    expect(name).toBe('lifeboat-linux-x64');
    expect(sum).toBe(createHash('sha256').update(readFileSync(built)).digest('hex'));

    // An empty folder with the file alone; a PATH holding nothing (so no node), a HOME of its own.
    exe = join(alone, 'lifeboat');
    copyFileSync(built, exe);
    mkdirSync(join(alone, 'empty-bin'));
    mkdirSync(join(alone, 'home'));
    noNode = { PATH: join(alone, 'empty-bin'), HOME: join(alone, 'home') };
    expect(readdirSync(alone).sort()).toEqual(['empty-bin', 'home', 'lifeboat']);
    expect(sh('node', ['-e', ''], { env: noNode }).status).not.toBe(0);
  });

  it('names its commit and build date', () => {
    const v = sh(exe, ['version', '--output', 'json'], { env: noNode });
    expect(v.status, v.stderr).toBe(0);
    const info = JSON.parse(v.stdout) as { kind: string; commit: string; date: string };
    const head = sh('git', ['rev-parse', 'HEAD'], { cwd: ROOT }).stdout.trim();
    expect(info.kind).toBe('single executable');
    expect(info.commit.startsWith(head)).toBe(true);
    expect(Date.now() - Date.parse(info.date)).toBeLessThan(3_600_000);
  });

  it('reads a lab snapshot offline as the checkout does', () => {
    const mine = sh(exe, ['snapshot', 'inspect', snapshotFile], { env: noNode });
    expect(mine.status, mine.stderr).toBe(0);
    expect(mine.stdout).toBe(sh(process.execPath, [CHECKOUT, 'snapshot', 'inspect', snapshotFile]).stdout);
  });

  it('diagnoses the lab, plans recover-quorum as the checkout does, runs it, reports it, serves its page', async () => {
    const lifeboat = (...args: string[]) => sh(exe, args, { cwd: lab.dir, env: noNode });
    const diagnose = lifeboat('diagnose', '-i', 'inventory.yaml', '--output', 'json');
    expect(diagnose.status, diagnose.stderr).toBe(0);
    const d = JSON.parse(diagnose.stdout) as { verdict: string; facts: { memberList: unknown[] } };
    expect(d.verdict).toBe('healthy');
    expect(d.facts.memberList).toHaveLength(lab.members.length);

    await labBreak(lab, 'lose-quorum');
    const args = ['plan', 'recover-quorum', '-i', 'inventory.yaml', '--probe'];
    const mine = lifeboat(...args);
    expect(mine.status, mine.stderr).toBe(0);
    const theirs = sh(process.execPath, [CHECKOUT, ...args], { cwd: lab.dir });
    expect(theirs.status, theirs.stderr).toBe(0);
    expect(mine.stdout).toMatch(/^1\. /m);
    expect(normalize(mine.stdout)).toBe(normalize(theirs.stdout));

    const runDir = join(work, 'run');
    const recover = lifeboat('run', 'recover-quorum', '-i', 'inventory.yaml', '--yes', '--run-dir', runDir);
    expect(recover.status, recover.stderr + recover.stdout.slice(-2000)).toBe(0);
    expect(lifeboat('diagnose', '-i', 'inventory.yaml').status).toBe(0);
    const report = lifeboat('report', runDir, '--format', 'html');
    expect(report.status, report.stderr).toBe(0);
    expect(readdirSync(runDir)).toContain('report.html');
    expect(await livePage(exe, runDir, noNode)).toMatch(/<title>Lifeboat live<\/title>/);
  });
});

/** `watch RUN_DIR --serve` on a free port: the page at the URL it prints, then the server stopped by its pid. */
async function livePage(exe: string, runDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const server = spawn(exe, ['watch', runDir, '--serve', '127.0.0.1:0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no URL within 60 s: ${out}`)), 60_000);
      const read = (chunk: Buffer) => {
        out += chunk.toString();
        const found = /http:\/\/\S+/.exec(out);
        if (!found) return;
        clearTimeout(deadline);
        resolve(found[0]);
      };
      server.stdout.on('data', read);
      server.stderr.on('data', read);
      server.once('exit', (code) => reject(new Error(`watch --serve exited ${code}: ${out}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    return await page.text();
  } finally {
    server.kill();
  }
}
