// A strict little XML reader for tests: balanced tags, quoted attributes, only known entities; throws otherwise.
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const ENTITY = /&(amp|lt|gt|quot|#39|#\d+);/g;

function checkText(s: string, at: number): string {
  if (/[<>]/.test(s) || /&(?!(amp|lt|gt|quot|#39|#\d+);)/.test(s))
    throw new Error(`bad text near ${at}: ${s.slice(0, 40)}`);
  return s.replace(ENTITY, (_m, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
  );
}

export function parseXml(src: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|<!doctype[^>]*>/gi;
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    stack.at(-1)!.text += checkText(src.slice(last, m.index), last);
    last = re.lastIndex;
    if (!m[2]) continue;
    const [, close, name, rawAttrs, selfClose] = m;
    if (close) {
      const top = stack.pop();
      if (top?.name !== name) throw new Error(`</${name}> closes <${top?.name}> at ${m.index}`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs!.matchAll(/([\w:.-]+)="([^"]*)"/g)) attrs[a[1]!] = checkText(a[2]!, m.index);
    const node: XmlNode = { name: name!, attrs, children: [], text: '' };
    stack.at(-1)!.children.push(node);
    if (!selfClose) stack.push(node);
  }
  checkText(src.slice(last).trim(), last);
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  return root;
}

export function findAll(n: XmlNode, pred: (x: XmlNode) => boolean, out: XmlNode[] = []): XmlNode[] {
  if (pred(n)) out.push(n);
  for (const c of n.children) findAll(c, pred, out);
  return out;
}
