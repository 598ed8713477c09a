// `lifeboat version`: the version, the commit it was built from, when, and what kind of build is running.
import { parse, oneOf } from '../args.js';
import { EXIT } from '../../errors/exit.js';
import { buildInfo } from './build.js';

const HELP = `Usage: lifeboat version [--output text|json]

Prints Lifeboat's version, the commit it was built from, the build date, and whether this is the single
executable, the npm package or a checkout.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse('version', argv, { output: { type: 'string', short: 'o' } }, false);
  if (values.help) return (void process.stdout.write(HELP), EXIT.ok);
  const output = oneOf('version', 'output', values.output, ['text', 'json'] as const, 'text');
  const info = buildInfo();
  const runtime = `node ${process.version}, ${process.platform}-${process.arch}`;
  process.stdout.write(
    output === 'json'
      ? JSON.stringify({ ...info, node: process.version, platform: `${process.platform}-${process.arch}` }) +
          '\n'
      : `lifeboat ${info.version}\ncommit   ${info.commit}\nbuilt    ${info.date}\nkind     ${info.kind} (${runtime})\n`,
  );
  return EXIT.ok;
}
