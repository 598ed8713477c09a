// `lifeboat decode [FILE|-] [--base64]`: one stored value (or `etcdctl get -w json` output) to YAML/JSON.
import { readFileSync } from 'node:fs';
import { parse, oneOf } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { decodeStoredValue, incomplete, MARKER, type DecodeOptions } from '../../k8s/value.js';
import { ENC_FLAG, keysFrom, out, warn } from '../snapshot/common.js';
import { renderValue } from '../snapshot/render.js';
import { readRegularFile } from '../../local/input.js';

const HELP = `Usage: lifeboat decode [FILE|-] [--base64] [-o yaml|json] [--key KEY] [--mod-revision N]
                       [--encryption-config FILE] [--show-managed-fields]

Decodes one value stored by Kubernetes in etcd (k8s protobuf, JSON, or k8s:enc: encrypted) read from
FILE or stdin. --base64: the input is base64 text (as in 'etcdctl get -w json'). The whole output of
'etcdctl get -w json' is also accepted: every kv in it is decoded, with resourceVersion = mod_revision.
Exit 0 when every value decoded fully; 1 when one came back raw or partial (its lifeboatDecode key says why).
`;

interface EtcdctlJson {
  kvs?: { key?: string; value?: string; mod_revision?: number }[];
}

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

function asEtcdctlJson(b: Buffer): EtcdctlJson | undefined {
  const first = b.subarray(0, 64).toString('utf8').trimStart()[0];
  if (first !== '{') return undefined;
  try {
    const j = JSON.parse(b.toString('utf8')) as EtcdctlJson & { header?: unknown };
    return Array.isArray(j.kvs) && j.header !== undefined ? j : undefined;
  } catch {
    return undefined;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals: p } = parse('decode', argv, {
    base64: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    key: { type: 'string' },
    'mod-revision': { type: 'string' },
    'show-managed-fields': { type: 'boolean' },
    ...ENC_FLAG,
  });
  if (v.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (p.length > 1)
    throw usage('decode: give at most one FILE (or - for stdin)', 'lifeboat decode [FILE|-] [--base64]');
  const fmt = oneOf('decode', 'output', v.output, ['yaml', 'json'] as const, 'yaml');
  const keys = keysFrom(v['encryption-config']);
  const present = { showManagedFields: v['show-managed-fields'] === true };
  let input = readInput(p[0]);
  const etcdctl = asEtcdctlJson(input);
  if (etcdctl) {
    let bad = 0;
    const docs = (etcdctl.kvs ?? []).map((kv) => {
      const key = kv.key === undefined ? undefined : Buffer.from(kv.key, 'base64').toString('utf8');
      const opts: DecodeOptions = {
        ...(kv.mod_revision !== undefined ? { modRevision: kv.mod_revision } : {}),
        ...(key ? { key } : {}),
        ...(keys ? { keys } : {}),
      };
      if (kv.value === undefined) return '# no value (was the get run with --keys-only?)\n';
      const val = decodeStoredValue(Buffer.from(kv.value, 'base64'), opts);
      const why = incomplete(val);
      if (why) {
        bad++;
        warn(`${key ?? 'value'}: not fully decoded: ${why}`);
      }
      const body = renderValue(val, fmt, present);
      return fmt === 'yaml' && key ? `# ${key}\n${body}` : body;
    });
    if (docs.length === 0)
      throw badInput('decode: the etcdctl output has no kvs', 'check the key or --prefix of the etcdctl get');
    out(fmt === 'yaml' ? docs.join('---\n') : docs.join(''));
    if (bad > 0) warn(`${bad} of ${docs.length} values not fully decoded (see ${MARKER} in each)`);
    return bad > 0 ? EXIT.incomplete : EXIT.ok;
  }
  if (v.base64) {
    const text = input.toString('latin1').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/=_-]*$/.test(text) || text.length === 0)
      throw badInput(`decode: ${p[0] ?? 'stdin'} is not base64`, 'drop --base64 for raw bytes');
    input = Buffer.from(text, 'base64');
  }
  if (input.length === 0) throw badInput(`decode: ${p[0] ?? 'stdin'} is empty`, 'give one stored value');
  let modRevision: number | undefined;
  if (v['mod-revision'] !== undefined) {
    modRevision = Number(v['mod-revision']);
    if (!Number.isSafeInteger(modRevision) || modRevision <= 0)
      throw usage(`decode: --mod-revision '${v['mod-revision']}' is not a positive integer`);
  }
  const val = decodeStoredValue(input, {
    ...(modRevision ? { modRevision } : {}),
    ...(v.key ? { key: v.key } : {}),
    ...(keys ? { keys } : {}),
  });
  out(renderValue(val, fmt, present));
  const why = incomplete(val);
  if (why) warn(`${v.key ?? p[0] ?? 'stdin'}: not fully decoded: ${why}`);
  return why ? EXIT.incomplete : EXIT.ok;
}
