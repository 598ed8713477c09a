// Confirmations through inquirer on a terminal; without one the engine stops safely instead of asking.
import type { Prompter } from '../engine/runner.js';

export function makePrompter(beforeAsk: () => Promise<void> = async () => undefined): Prompter {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true';
  return {
    interactive,
    async confirm(message, details) {
      await beforeAsk();
      const { confirm } = await import('@inquirer/prompts');
      // Each line of a multi-line script keeps the indentation of its host block.
      if (details.length)
        process.stderr.write(
          details
            .flatMap((d) => {
              const pad = `    ${/^\s*/.exec(d)?.[0] ?? ''}`;
              return d
                .trim()
                .split('\n')
                .map((l) => pad + l);
            })
            .join('\n') + '\n',
        );
      return confirm({ message, default: false });
    },
    async choose(message, choices) {
      await beforeAsk();
      const { select } = await import('@inquirer/prompts');
      return select({ message, choices });
    },
  };
}
