// `lifeboat snapshot history FILE KEY [-o yaml|json]`: every revision of a key still in the snapshot, decoded.
import { parse, oneOf } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { present, toJson } from '../../k8s/present.js';
import { decodeStoredValue, incomplete, objectOf } from '../../k8s/value.js';
import { keyHistory } from '../../snapshot/history.js';
import { Snapshot } from '../../snapshot/snapshot.js';
import { ENC_FLAG, keysFrom, out, warn } from './common.js';
import { renderValue } from './render.js';

export function runHistory(argv: string[]): number {
  const { values: flags, positionals: args } = parse('snapshot history', argv, {
    output: { type: 'string', short: 'o' },
    'show-managed-fields': { type: 'boolean' },
    ...ENC_FLAG,
  });
  if (args.length !== 2)
    throw usage(
      'snapshot history: give FILE and KEY',
      'lifeboat snapshot history FILE /registry/configmaps/NS/NAME',
    );
  const fmt = oneOf('snapshot history', 'output', flags.output, ['yaml', 'json'] as const, 'yaml');
  const keys = keysFrom(flags['encryption-config']);
  const shown = { showManagedFields: flags['show-managed-fields'] === true };
  const [file, key] = [args[0]!, args[1]!];
  const snap = Snapshot.open(file);
  let revs;
  try {
    revs = keyHistory(snap, key);
  } finally {
    snap.close();
  }
  if (revs.length === 0)
    throw badInput(
      `${file}: key ${key} has no revision in the snapshot`,
      `list keys with 'lifeboat snapshot ls ${file} ${key.split('/').slice(0, -1).join('/')}/'`,
    );
  let bad = 0;
  const docs = revs.map((r) => {
    const head = { revision: r.revision, createRevision: r.createRevision, version: r.version };
    if (r.deleted) return { ...head, deleted: true, text: `# revision ${r.revision}: deleted\n` };
    const val = decodeStoredValue(r.value!, { modRevision: r.revision, key, ...(keys ? { keys } : {}) });
    if (incomplete(val)) bad++;
    const obj = objectOf(val);
    return {
      ...head,
      deleted: false,
      object: obj ? present(obj, shown) : val,
      text: `# revision ${r.revision} (version ${r.version}, created at ${r.createRevision})\n${renderValue(val, 'yaml', shown)}`,
    };
  });
  if (fmt === 'json') out(toJson(docs.map(({ text: _text, ...d }) => d)));
  else out(docs.map((d) => d.text).join('---\n'));
  warn(`${key}: ${revs.length} revision(snap) in the snapshot (older ones were compacted away)`);
  if (bad > 0) warn(`${bad} revision(snap) not fully decoded`);
  return bad > 0 ? EXIT.incomplete : EXIT.ok;
}
