// The HTML report escapes text and attribute values; a newline in a name cannot start new markup.
import { describe, expect, it } from 'vitest';
import { markdownToHtml } from '../../src/render/html.js';

describe('markdownToHtml escaping', () => {
  it('escapes quotes, angle brackets and ampersands in text, titles and the code-block class', () => {
    const md = [
      '| a | b |',
      '|---|---|',
      '| x" onmouseover="alert(1) | <script>alert(1)</script> |',
      '```x" onload="alert(1)',
      '</pre><img src=x>',
      '```',
      "- it's & <b>",
    ].join('\n');
    const html = markdownToHtml(md, '"><script>t</script>');
    expect(html).not.toMatch(/<script>|<img|onload="|onmouseover="/);
    expect(html).toContain('&quot;&gt;&lt;script&gt;');
    expect(html).toContain('<pre class="xonloadalert1">');
    expect(html).toContain('it&#39;s &amp; &lt;b&gt;');
  });
});
