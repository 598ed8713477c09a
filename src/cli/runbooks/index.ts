// `lifeboat runbooks`: the runbooks shipped, with what each is for.
import { parse } from '../args.js';
import { EXIT } from '../../errors/exit.js';
import { availableRunbooks, loadRunbook } from '../../engine/registry.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parse('runbooks', argv, {}, false);
  if (values.help)
    return (
      void process.stdout.write('Usage: lifeboat runbooks\n\nLists the runbooks and what each is for.\n'),
      EXIT.ok
    );
  for (const id of availableRunbooks()) {
    const { def } = await loadRunbook(id);
    process.stdout.write(`${id.padEnd(24)} ${def.title}\n${' '.repeat(25)}when: ${def.when}\n`);
  }
  return EXIT.ok;
}
