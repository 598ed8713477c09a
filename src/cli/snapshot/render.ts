// A decoded stored value as text: the object in YAML/JSON, or what it is when it is not an object.
import { present, toJson, toYaml, type PresentOptions } from '../../k8s/present.js';
import { incomplete, MARKER, objectOf, type StoredValue } from '../../k8s/value.js';

export function renderValue(v: StoredValue, fmt: 'yaml' | 'json', opts: PresentOptions = {}): string {
  const obj = objectOf(v);
  const notes: string[] = [];
  if (v.format === 'encrypted') notes.push(`encrypted with ${v.provider} key '${v.keyName}': ${v.note}`);
  if (v.format === 'protobuf' && v.note) notes.push(v.note);
  if (v.format === 'encrypted' && v.inner?.format === 'protobuf' && v.inner.note) notes.push(v.inner.note);
  if (obj) {
    const shown = present(obj, opts);
    const body = fmt === 'json' ? toJson(shown) : toYaml(shown);
    return (fmt === 'yaml' ? notes.map((n) => `# ${n}\n`).join('') : '') + body;
  }
  const why = incomplete(v);
  const desc =
    v.format === 'raw'
      ? {
          format: 'raw',
          ...(v.note ? { note: v.note } : {}),
          ...(v.text !== undefined ? { text: v.text } : { base64: v.base64 }),
          ...(why ? { [MARKER]: { status: 'raw', why } } : {}),
        }
      : { ...v, ...(why ? { [MARKER]: { status: v.format, why } } : {}) };
  return fmt === 'json' ? toJson(desc) : toYaml(desc);
}
