// `lifeboat inventory check FILE`: every problem at once, each with its path in the file.
import { parse } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { readInventory } from '../../inventory/load.js';

const HELP = `Usage: lifeboat inventory check FILE

Validates an inventory file and prints its members; exit 2 with every problem listed when it is wrong.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('inventory', argv, {});
  if (values.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  const [sub, file] = positionals;
  if (sub !== 'check' || !file)
    throw usage('inventory: expected `inventory check FILE`', "run 'lifeboat inventory --help'");
  const r = readInventory(file);
  if (!r.ok) {
    for (const p of r.problems) process.stderr.write(`${file}: ${p}\n`);
    throw badInput(`inventory ${file}: ${r.problems.length} problem(s)`, 'fix the fields listed above');
  }
  const inv = r.inventory;
  process.stdout.write(
    `${file}: ok — cluster ${inv.cluster}, topology ${inv.topology}, ${inv.members.length} member(s)\n`,
  );
  for (const m of inv.members)
    process.stdout.write(
      `  ${m.name}  ${m.address}  ssh ${m.ssh.user}@${m.address}:${m.ssh.port}` +
        `${m.ssh.jump ? ` via ${m.ssh.jump}` : ''}${m.ssh.sudo ? ' (sudo)' : ''}\n`,
    );
  return EXIT.ok;
}
