// Confirmations on a terminal: the step in words, keys y/n/d/a; without a terminal the engine stops safely instead.
import type { Prompter } from '../engine/ports.js';
import { Redactor } from '../secrets/redact.js';
import { commandGroups, confirmationLines, type ConfirmContext } from '../render/confirm.js';

/** One key from a raw-mode terminal (Ctrl-C counts as n: stop, resumable). */
function readKey(): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.once('data', (b: Buffer) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      const k = b.toString('utf8').toLowerCase();
      resolve(k === '\u0003' ? 'n' : k.trim().charAt(0));
    });
  });
}

async function keyed(c: ConfirmContext): Promise<boolean | 'abort'> {
  const width = Math.max(40, process.stderr.columns || 120);
  const out = (lines: string[]) => process.stderr.write(lines.join('\n') + '\n');
  out(['', ...confirmationLines(c, width)]);
  const redactor = new Redactor();
  for (;;) {
    process.stderr.write('> ');
    const k = await readKey();
    process.stderr.write(`${k}\n`);
    if (k === 'y') return true;
    if (k === 'n') return false;
    if (k === 'a') {
      // Aborting cannot be taken back, so it takes a second key.
      out([
        'abort the run for good? It ends as aborted (exit 5), the lock is released, it cannot be resumed;',
        'what it leaves stopped or changed is listed, host by host, with the commands that undo it.',
      ]);
      process.stderr.write('press a again to abort, any other key to go back > ');
      const again = await readKey();
      process.stderr.write(`${again}\n`);
      if (again === 'a') return 'abort';
      out(['not aborted; keys: y run it · n stop here (resumable) · d show the commands · a abort']);
      continue;
    }
    if (k === 'd') out(commandGroups(c.step, (s) => redactor.redact(s)));
    else out(['keys: y run it · n stop here (resumable) · d show the commands · a abort']);
  }
}

export function makePrompter(beforeAsk: () => Promise<void> = async () => undefined): Prompter {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true';
  return {
    interactive,
    async confirm(message, details, context) {
      await beforeAsk();
      if (context && process.stdin.isTTY) return keyed(context);
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
