// `lifeboat demo` (npm run demo): the main job on the local lab, end to end, non-interactive.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '../args.js';
import { LifeboatError } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { compareWithManifest, labBreak, labDown, labUp, type Lab } from '../../lab/index.js';

const BIN = fileURLToPath(new URL('../../../../bin/lifeboat', import.meta.url));

function say(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

/** Runs a lifeboat command as the operator would type it; returns its exit code. */
function lifeboat(args: string[], cwd: string): Promise<number> {
  process.stdout.write(`$ lifeboat ${args.join(' ')}\n`);
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CI: 'true' },
    });
    p.on('error', rej);
    p.on('exit', (code) => res(code ?? 1));
  });
}

async function expectCode(args: string[], cwd: string, want: number[]): Promise<void> {
  const code = await lifeboat(args, cwd);
  if (!want.includes(code))
    throw new LifeboatError(
      'step',
      `demo: 'lifeboat ${args[0]}' exited ${code}, expected ${want.join(' or ')}`,
      { hint: 'see the output above' },
    );
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    'demo',
    argv,
    { dir: { type: 'string' }, 'keep-lab': { type: 'boolean' }, mode: { type: 'string' } },
    false,
  );
  if (values.help) {
    process.stdout.write(
      'Usage: lifeboat demo [--dir DIR] [--mode static-pod|systemd] [--keep-lab]\n\nLab up with ' +
        'seed data -> backup -> lose quorum -> diagnose -> recover-quorum -> diagnose -> data ' +
        'checked -> report.\n',
    );
    return EXIT.ok;
  }
  const base = resolve(values.dir ?? '.lifeboat/demo');
  const labDir = join(base, 'lab');
  // Each demo keeps its own runs and backups, so a second demo never collides with the first's run dirs.
  const work = join(base, new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z'));
  mkdirSync(work, { recursive: true });
  if (existsSync(join(labDir, 'lab.json'))) await labDown(labDir);
  let lab: Lab | undefined;
  try {
    say('1/7 lab up: real etcd members behind real sshd hosts, with Kubernetes seed data');
    lab = await labUp({
      dir: labDir,
      seedData: true,
      mode: values.mode === 'systemd' ? 'systemd' : 'static-pod',
      log: (l) => process.stdout.write(`${l}\n`),
    });
    const inv = lab.inventoryPath;

    say('2/7 backup: snapshot every member, copy them off the cluster with sha256 checked');
    await expectCode(
      [
        'run',
        'backup',
        '-i',
        inv,
        '--set',
        `to=${join(work, 'backups')}`,
        '--yes',
        '--run-dir',
        join(work, 'runs', 'backup'),
      ],
      work,
      [0],
    );

    say('3/7 disaster: lose quorum (etcd killed and data dirs wiped on a majority)');
    await labBreak(lab, 'lose-quorum');

    say('4/7 diagnose (exit 3: quorum lost)');
    await expectCode(['diagnose', '-i', inv], work, [3]);

    say('5/7 recover-quorum: survivor by highest raft index -> one-member cluster -> re-add members');
    const runDir = join(work, 'runs', 'recover-quorum');
    await expectCode(['run', 'recover-quorum', '-i', inv, '--yes', '--run-dir', runDir], work, [0]);

    say('6/7 diagnose again, and check every seeded key and value against the data manifest');
    await expectCode(['diagnose', '-i', inv], work, [0]);
    const diff = await compareWithManifest(lab);
    const lost = diff.missing.length + diff.changed.length;
    process.stdout.write(
      `data check: ` +
        `${lost === 0 ? 'every seeded key and value is back' : `${diff.missing.length} missing, ${diff.changed.length} changed`}\n`,
    );
    if (lost)
      throw new LifeboatError('step', `demo: ${lost} keys lost or changed`, { hint: 'see the diff above' });

    say('7/7 report and audit');
    await expectCode(['audit', 'verify', runDir], work, [0]);
    await expectCode(['report', runDir], work, [0]);
    const backups = readdirSync(join(work, 'backups'));
    process.stdout.write(
      `\nbackups: ${join(work, 'backups', backups[0] ?? '')}\nreport:  ${join(runDir, 'report.md')}` +
        `\naudit:   ${join(runDir, 'audit.jsonl')}\n`,
    );
    return EXIT.ok;
  } finally {
    if (lab && !values['keep-lab']) {
      await labDown(lab.dir);
      process.stdout.write(`lab ${lab.dir} is down (kept with --keep-lab)\n`);
    }
  }
}
