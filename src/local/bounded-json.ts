// JSON from files others can write (manifests, audit logs): nesting bounded before JSON.parse recurses into it.

/** Deepest nesting of arrays and objects in `text`, counted outside strings; stops counting past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: the next character is escaped
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return max;
}

export class JsonTooDeep extends Error {
  constructor(readonly limit: number) {
    super(`JSON nested more than ${limit} deep`);
    this.name = 'JsonTooDeep';
  }
}

/** JSON.parse, refusing nesting deeper than `maxDepth` (a JsonTooDeep), so no input can exhaust the stack. */
export function parseBoundedJson(text: string, maxDepth = 64): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) throw new JsonTooDeep(maxDepth);
  return JSON.parse(text) as unknown;
}
