// Flag parsing shared by every command: util.parseArgs, with bad flags turned into a one-line usage error.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usage } from '../errors/error.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = true,
) {
  try {
    return parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0] ?? String(err);
    throw usage(`${command}: ${msg}`, `run 'lifeboat ${command} --help'`);
  }
}

/** Parses `--set KEY=VALUE` pairs into a record; a pair without `=` is a usage error. */
export function parseSets(command: string, sets: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets ?? []) {
    const i = s.indexOf('=');
    if (i <= 0) throw usage(`${command}: --set '${s}' is not KEY=VALUE`, 'write it as --set key=value');
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

export function oneOf<T extends string>(
  command: string,
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  dflt: T,
): T {
  if (value === undefined) return dflt;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usage(
    `${command}: --${flag} '${value}' is not one of ${allowed.join(', ')}`,
    `use --${flag} ${allowed.join('|')}`,
  );
}
