// Entry point: dispatch through the command table, map errors to one line and an exit code.
import { COMMANDS } from './commands.js';
import { LifeboatError, usage } from '../errors/error.js';
import { exitCodeFor, EXIT } from '../errors/exit.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'lifeboat — guided disaster recovery for etcd',
    '',
    'Usage: lifeboat <command> [options]   (lifeboat <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
    '',
    'Options: --help, --version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write((await import('./version/build.js')).buildInfo().version + '\n');
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`lifeboat: unknown command '${name}' — run 'lifeboat --help' for the list\n`);
    return EXIT.badInput;
  }
  if (entry.needsCheckout && (await import('./version/build.js')).isSingleExecutable())
    throw usage(
      `${name} needs a checkout of Lifeboat (the lab's etcd builds and stand-ins are not in the single executable)`,
      `run it from a clone: ./bin/lifeboat ${name}`,
    );
  const mod = await entry.load();
  return mod.run(rest);
}

// A reader that went away (`lifeboat ... | head -1`) is a quiet end, not a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // An interrupted run has recorded its stop: a command still in flight (its connection closed) keeps nothing alive.
    if (code === EXIT.interrupted) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof LifeboatError) {
      process.stderr.write(`lifeboat: ${err.oneLine()}\n`);
      process.exitCode = exitCodeFor(err.code);
      if (err.code === 'interrupted') process.exit(EXIT.interrupted);
    } else {
      const e = err as Error;
      process.stderr.write(`lifeboat: internal error: ${e?.stack ?? String(err)}\n`);
      process.exitCode = EXIT.failed;
    }
  },
);
