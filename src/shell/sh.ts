// The one way a script is built: sh`...` quotes every interpolated value; only sh.raw and other Scripts go in as code.

/** Shell text built from trusted pieces: the template's own text, quoted values, other Scripts, sh.raw. */
export class Script {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What may be interpolated: values are quoted; a Script is inserted as it is; arrays become space-separated words. */
export type ShValue = string | number | Script | readonly ShValue[];

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One shell word for s: left bare when it holds only safe characters, else single-quoted (`'` becomes `'\''`). */
export function quote(s: string): string {
  return SAFE.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function piece(v: ShValue): string {
  if (v instanceof Script) return v.text;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`sh: ${v} is not a number a script can hold`);
    return String(v);
  }
  if (typeof v === 'string') return quote(v);
  return v.map(piece).join(' ');
}

function template(strings: TemplateStringsArray, ...values: ShValue[]): Script {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += piece(v) + (strings[i + 1] ?? '');
  });
  return new Script(out);
}

type Part = Script | false | null | undefined;

/** A string literal type only: a value computed at run time (a `string`) does not compile where code is expected. */
export type Literal<T extends string> = string extends T ? never : T;

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** sh`...`: the template literal's text is code, every `${value}` a quoted word (Scripts and sh.raw excepted). */
export const sh = Object.assign(template, {
  /** A shell expression written by this program (e.g. `"$t"`): inserted unquoted. Never pass it a value. */
  raw: <T extends string>(text: Literal<T>): Script => new Script(text),
  /** A shell variable's name made by this program (e.g. two wait loops' counters): checked, inserted as it is. */
  variable: (identifier: string): Script => {
    if (!SHELL_NAME.test(identifier))
      throw new Error(`sh: ${JSON.stringify(identifier)} is not a shell name`);
    return new Script(identifier);
  },
  /** A multi-line script: one piece a line, falsy pieces left out. */
  lines: (...parts: Array<Part | Part[]>): Script => sh.join(parts.flat(), '\n'),
  /** Pieces joined by a shell separator such as ' && ' or '; '. */
  join: (parts: Part[], sep: string): Script =>
    new Script(
      parts
        .filter((p): p is Script => p instanceof Script)
        .map((p) => p.text)
        .join(sep),
    ),
  quote,
});
