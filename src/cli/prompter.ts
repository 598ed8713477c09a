// Confirmations through inquirer on a terminal; without one the engine stops safely instead of asking.
import type { Prompter } from '../engine/runner.js';

export function makePrompter(beforeAsk: () => Promise<void> = async () => undefined): Prompter {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true';
  return {
    interactive,
    async confirm(message, details) {
      await beforeAsk();
      const { confirm } = await import('@inquirer/prompts');
      if (details.length) process.stderr.write(details.map((d) => `    ${d}`).join('\n') + '\n');
      return confirm({ message, default: false });
    },
    async choose(message, choices) {
      await beforeAsk();
      const { select } = await import('@inquirer/prompts');
      return select({ message, choices });
    },
  };
}
