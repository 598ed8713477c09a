// Our schema format: one string per message, fields in Go declaration order (the JSON key order).
//
// Field token: `jsonName=number:type[flags]`
//   type   s | b | i32 | i64 | u32 | u64 | f64 | by (bytes, base64 in JSON)
//          time | mtime | dur | qty | ios | raw (well-known apimachinery types, see builtins.ts)
//          pkg.Message (another message in the registry)
//   prefix * pointer (optional: only on the wire when set), [] repeated, {} map with string keys
//   flags  ! JSON without omitempty, ~ JSON omitzero, ^ embedded (its fields inline in the JSON object)
// A spec starting with `@ ` is a Go slice/map type (ExtraValue, Verbs): its JSON is its one field's value.
export type MessageTable = Record<string, string>;

export const SCALARS = ['s', 'b', 'i32', 'i64', 'u32', 'u64', 'f64', 'by', 'u8'] as const;
export const BUILTINS = ['time', 'mtime', 'dur', 'qty', 'ios', 'raw'] as const;
export type Scalar = (typeof SCALARS)[number];
export type Builtin = (typeof BUILTINS)[number];

export interface Field {
  name: string;
  num: number;
  type: string;
  kind: 'scalar' | 'builtin' | 'message';
  ptr: boolean;
  repeated: boolean;
  map: boolean;
  json: 'omitempty' | 'always' | 'omitzero' | 'inline';
}

export interface Message {
  name: string;
  fields: Field[]; // declaration order
  wireOrder: Field[]; // ascending field number, the order Kubernetes marshals
  byNum: Map<number, Field>;
  /** Go named slice or map: the JSON form is the value of its single `items` field. */
  wrap: boolean;
}

const FIELD_RE = /^([^=]*)=(\d+):(\*?)(\[\]|\{\})?([\w.]+)([!~^]?)$/;

export function parseMessage(name: string, spec: string): Message {
  const fields: Field[] = [];
  const wrap = spec.startsWith('@ ');
  for (const tok of (wrap ? spec.slice(2) : spec).split(' ').filter(Boolean)) {
    const m = FIELD_RE.exec(tok);
    if (!m) throw new Error(`schema ${name}: bad field '${tok}'`);
    const type = m[5]!;
    const kind = (SCALARS as readonly string[]).includes(type)
      ? 'scalar'
      : (BUILTINS as readonly string[]).includes(type)
        ? 'builtin'
        : 'message';
    const flag = m[6];
    fields.push({
      name: m[1]!,
      num: Number(m[2]),
      type,
      kind,
      ptr: m[3] === '*',
      repeated: m[4] === '[]',
      map: m[4] === '{}',
      json: flag === '!' ? 'always' : flag === '~' ? 'omitzero' : flag === '^' ? 'inline' : 'omitempty',
    });
  }
  return {
    name,
    fields,
    wireOrder: [...fields].sort((a, b) => a.num - b.num),
    byNum: new Map(fields.map((f) => [f.num, f])),
    wrap,
  };
}
