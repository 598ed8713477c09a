// `lifeboat snapshot get FILE KEY [--rev N] [-o yaml|json|raw]`.
import { parse, oneOf } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { decodeStoredValue, incomplete } from '../../k8s/value.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { ENC_FLAG, keysFrom, out, revFlag, warn } from './common.js';
import { renderValue } from './render.js';

export function runGet(argv: string[]): number {
  const { values: v, positionals: p } = parse('snapshot get', argv, {
    rev: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'show-managed-fields': { type: 'boolean' },
    ...ENC_FLAG,
  });
  if (p.length !== 2)
    throw usage(
      'snapshot get: give FILE and KEY',
      'lifeboat snapshot get FILE /registry/configmaps/NS/NAME [-o yaml|json|raw]',
    );
  const fmt = oneOf('snapshot get', 'output', v.output, ['yaml', 'json', 'raw'] as const, 'yaml');
  const rev = revFlag('snapshot get', v.rev);
  const keys = keysFrom(v['encryption-config']);
  const [file, key] = [p[0]!, p[1]!];
  const s = Snapshot.open(file);
  try {
    const hit = s.state({ ...(rev ? { rev } : {}), prefix: key, values: true }).get(key);
    if (!hit)
      throw badInput(
        `${file}: key ${key} is not in the snapshot${rev ? ` at revision ${rev}` : ''}`,
        `list keys with 'lifeboat snapshot ls ${file} ${key.split('/').slice(0, -1).join('/')}/'`,
      );
    if (fmt === 'raw') {
      process.stdout.write(hit.value!);
      return EXIT.ok;
    }
    const val = decodeStoredValue(hit.value!, {
      modRevision: hit.modRevision,
      key,
      ...(keys ? { keys } : {}),
    });
    out(renderValue(val, fmt, { showManagedFields: v['show-managed-fields'] === true }));
    const why = incomplete(val);
    if (why) warn(`${key}: not fully decoded: ${why}`);
    return why ? EXIT.incomplete : EXIT.ok;
  } finally {
    s.close();
  }
}
