// JSON with exact 64-bit integers: integers past 2^53 are BigInt in memory and plain number text on output.

/** JSON.stringify of plain data, with BigInt values printed as their digits (as Kubernetes prints int64). */
export function stringifyExact(v: unknown, indent = 0): string {
  return write(v, indent > 0 ? ' '.repeat(indent) : '', '') ?? 'null';
}

function write(v: unknown, step: string, at: string): string | undefined {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v) as string | undefined;
  const inner = at + step;
  const [nl, sep] = step ? ['\n', ': '] : ['', ':'];
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const items = v.map((x) => inner + (write(x, step, inner) ?? 'null'));
    return `[${nl}${items.join(`,${nl}`)}${nl}${at}]`;
  }
  const items: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    const s = write(x, step, inner);
    if (s !== undefined) items.push(`${inner}${JSON.stringify(k)}${sep}${s}`);
  }
  if (items.length === 0) return '{}';
  return `{${nl}${items.join(`,${nl}`)}${nl}${at}}`;
}

class JsonError extends Error {}

/**
 * Deepest nesting of a stored JSON value Lifeboat decodes: its YAML and JSON printers recurse per level, and objects
 * about 700 deep already exhaust Node's stack. Deeper values are shown as their text, not decoded.
 */
export const MAX_VALUE_DEPTH = 256;

const WS = /[ \t\n\r]*/y;
const NUM = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STR = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;

/** JSON.parse that keeps integers beyond Number.MAX_SAFE_INTEGER exact (as BigInt). */
export function parseExact(text: string): unknown {
  // Fast path: no run of 16+ digits means no integer can be out of the safe range.
  if (!/\d{16}/.test(text)) return JSON.parse(text) as unknown;
  let pos = 0;
  const ws = (): void => {
    WS.lastIndex = pos;
    WS.exec(text);
    pos = WS.lastIndex;
  };
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    pos = re.lastIndex;
    return m[0];
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_VALUE_DEPTH) throw new JsonError('JSON nested too deeply');
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[pos] === '}') return (pos++, o);
      for (;;) {
        ws();
        const k = match(STR);
        if (k === undefined) throw new JsonError(`expected a key at ${pos}`);
        ws();
        if (text[pos++] !== ':') throw new JsonError(`expected ':' at ${pos - 1}`);
        Object.defineProperty(o, JSON.parse(k) as string, {
          value: value(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        ws();
        const d = text[pos++];
        if (d === '}') return o;
        if (d !== ',') throw new JsonError(`expected ',' or '}' at ${pos - 1}`);
      }
    }
    if (c === '[') {
      pos++;
      const a: unknown[] = [];
      ws();
      if (text[pos] === ']') return (pos++, a);
      for (;;) {
        a.push(value(depth + 1));
        ws();
        const d = text[pos++];
        if (d === ']') return a;
        if (d !== ',') throw new JsonError(`expected ',' or ']' at ${pos - 1}`);
      }
    }
    if (c === '"') {
      const s = match(STR);
      if (s === undefined) throw new JsonError(`bad string at ${pos}`);
      return JSON.parse(s) as string;
    }
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const)
      if (text.startsWith(lit, pos)) return ((pos += lit.length), v);
    const n = match(NUM);
    if (n === undefined) throw new JsonError(`unexpected '${c ?? 'end'}' at ${pos}`);
    const x = Number(n);
    return /^-?\d+$/.test(n) && !Number.isSafeInteger(x) ? BigInt(n) : x;
  };
  const v = value(0);
  ws();
  if (pos !== text.length) throw new JsonError(`unexpected text at ${pos}`);
  return v;
}
