// Markdown report to a standalone HTML page: headings, tables, lists and code blocks, nothing fetched from the network.
// Escapes for text and for quoted attribute values alike.
const esc = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
const inline = (s: string) =>
  esc(s)
    .replace(/&lt;br&gt;/g, '<br>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
const cells = (row: string) =>
  row
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));

export function markdownToHtml(md: string, title: string): string {
  const out: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('```')) {
      const lang = l.slice(3).trim();
      const body: string[] = [];
      while (i + 1 < lines.length && !lines[i + 1]!.startsWith('```')) body.push(lines[++i]!);
      i++;
      out.push(`<pre class="${esc(lang.replace(/[^\w-]/g, '') || 'code')}">${esc(body.join('\n'))}</pre>`);
    } else if (l.startsWith('|')) {
      const rows: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) rows.push(lines[i++]!);
      i--;
      const [head, , ...body] = rows;
      out.push(
        '<table>',
        `<tr>${cells(head ?? '')
          .map((c) => `<th>${inline(c)}</th>`)
          .join('')}</tr>`,
        ...body.map(
          (r) =>
            `<tr>${cells(r)
              .map((c) => `<td>${inline(c)}</td>`)
              .join('')}</tr>`,
        ),
        '</table>',
      );
    } else if (/^#{1,3} /.test(l)) {
      const n = l.indexOf(' ');
      out.push(`<h${n}>${inline(l.slice(n + 1))}</h${n}>`);
    } else if (l.startsWith('- ')) {
      const items: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('- ')) items.push(lines[i++]!.slice(2));
      i--;
      out.push('<ul>', ...items.map((x) => `<li>${inline(x)}</li>`), '</ul>');
    } else if (l.trim()) out.push(`<p>${inline(l)}</p>`);
  }
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 ` +
    `1em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px ` +
    `8px;text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:1em;overflow:auto}code{background:#f2f2f2}</style>
</head><body>
${out.join('\n')}
</body></html>
`
  );
}
