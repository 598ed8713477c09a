// `lifeboat decode [FILE|-] [--base64]`: one stored value (or `etcdctl get -w json` output) to YAML/JSON.
import { readFileSync } from 'node:fs';
import { parse, oneOf } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { decodeStoredValue, incomplete, MARKER, type DecodeOptions } from '../../k8s/value.js';
import { ENC_FLAG, keysFrom, out, warn } from '../snapshot/common.js';
import { renderValue } from '../snapshot/render.js';
import { FORM_TEXT, parseInput } from '../../k8s/input.js';
import { readRegularFile } from '../../local/input.js';

const HELP = `Usage: lifeboat decode [FILE|-] [--base64] [-o yaml|json] [--key KEY] [--mod-revision N]
                       [--encryption-config FILE] [--show-managed-fields] [-v]

Decodes values stored by Kubernetes in etcd (k8s protobuf, JSON, or k8s:enc: encrypted) read from FILE or
stdin, in any form etcdctl gives them (told apart from the bytes; -v names the form on stderr):
  etcdctl get KEY --print-value-only | lifeboat decode -     the value (etcdctl's trailing newline dropped)
  etcdctl get PREFIX --prefix | lifeboat decode -            key line + value, every pair decoded
  etcdctl get PREFIX --prefix -w json | lifeboat decode -    every kv, resourceVersion = mod_revision
  base64 of a value (auto-detected; --base64 forces it), or the raw value bytes from a file.
Exit 0 when every value decoded fully; 1 when one came back raw or partial (its lifeboatDecode key says why).
`;

function readInput(file: string | undefined): Buffer {
  try {
    if (file === undefined || file === '-') return readFileSync(0);
    return readRegularFile(file, 'decode input');
  } catch (err) {
    throw badInput(
      `decode: cannot read ${file ?? 'stdin'} (${(err as Error).message})`,
      'give a file with one stored value, or pipe it in',
    );
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values: flags, positionals: files } = parse('decode', argv, {
    base64: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    output: { type: 'string', short: 'o' },
    key: { type: 'string' },
    'mod-revision': { type: 'string' },
    'show-managed-fields': { type: 'boolean' },
    ...ENC_FLAG,
  });
  if (flags.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (files.length > 1)
    throw usage('decode: give at most one FILE (or - for stdin)', 'lifeboat decode [FILE|-] [--base64]');
  const fmt = oneOf('decode', 'output', flags.output, ['yaml', 'json'] as const, 'yaml');
  const keys = keysFrom(flags['encryption-config']);
  const present = { showManagedFields: flags['show-managed-fields'] === true };
  const name = files[0] ?? 'stdin';
  const input = readInput(files[0]);
  if (input.length === 0) throw badInput(`decode: ${name} is empty`, 'give one stored value');
  const parsed = parseInput(input, flags.base64 === true);
  if (!parsed) throw badInput(`decode: ${name} is not base64`, 'drop --base64 for raw bytes');
  let modRevision: number | undefined;
  if (flags['mod-revision'] !== undefined) {
    modRevision = Number(flags['mod-revision']);
    if (!Number.isSafeInteger(modRevision) || modRevision <= 0)
      throw usage(`decode: --mod-revision '${flags['mod-revision']}' is not a positive integer`);
  }
  const values = parsed.values.map((x) => ({
    ...x,
    ...(x.key === undefined && flags.key ? { key: flags.key } : {}),
    ...(x.modRevision === undefined && modRevision ? { modRevision } : {}),
  }));
  if (values.length === 0)
    throw badInput('decode: the etcdctl output has no kvs', 'check the key or --prefix of the etcdctl get');
  let form = parsed.form;
  let bad = 0;
  const docs = values.map((x) => {
    if (x.value === undefined) return '# no value (was the get run with --keys-only?)\n';
    const opts: DecodeOptions = {
      ...(x.modRevision !== undefined ? { modRevision: x.modRevision } : {}),
      ...(x.key ? { key: x.key } : {}),
      ...(keys ? { keys } : {}),
    };
    let val = decodeStoredValue(x.value, opts);
    if (incomplete(val) && x.withoutNewline) {
      const stripped = decodeStoredValue(x.withoutNewline, opts);
      if (!incomplete(stripped)) [val, form] = [stripped, 'value+newline'];
    }
    const why = incomplete(val);
    if (why) {
      bad++;
      warn(`${x.key ?? name}: not fully decoded: ${why}`);
    }
    const body = renderValue(val, fmt, present);
    return fmt === 'yaml' && x.key && parsed.form !== 'value' ? `# ${x.key}\n${body}` : body;
  });
  if (flags.verbose) warn(`decode: ${name}: ${FORM_TEXT[form]}, ${values.length} value(s)`);
  out(fmt === 'yaml' ? docs.join('---\n') : docs.join(''));
  if (bad > 0 && values.length > 1)
    warn(`${bad} of ${docs.length} values not fully decoded (see ${MARKER} in each)`);
  return bad > 0 ? EXIT.incomplete : EXIT.ok;
}
