import { describe, expect, it } from 'vitest';
import { inlineMarkdown } from './inline-markdown';

describe('inlineMarkdown', () => {
  it('turns backticks into code, with break opportunities after slashes', () => {
    expect(inlineMarkdown('`details` names each bad field')).toBe('<code>details</code> names each bad field');
    expect(inlineMarkdown('see `/a/b`')).toBe('see <code>/<wbr>a/<wbr>b</code>');
  });

  it('renders strong, emphasis and safe links', () => {
    expect(inlineMarkdown('**must** be *unique* or _else_')).toBe('<strong>must</strong> be <em>unique</em> or <em>else</em>');
    expect(inlineMarkdown('read [the guide](/api/docs#x)')).toBe('read <a href="/api/docs#x">the guide</a>');
    expect(inlineMarkdown('a [trap](javascript:alert(1))')).not.toContain('href');
  });

  it('leaves snake_case, file names and arithmetic alone', () => {
    expect(inlineMarkdown('page_size and import_id, 2*3*4')).toBe('page_size and import_id, 2*3*4');
  });

  it('escapes HTML everywhere, inside code and link text too', () => {
    // The quote cannot close the href attribute: it arrives as &quot;.
    expect(inlineMarkdown('<img src=x onerror=alert(1)> `<b>` [<i>x</i>](https://e.test/"q)')).toBe(
      '&lt;img src=x onerror=alert(1)&gt; <code>&lt;b&gt;</code> <a href="https://e.test/&quot;q">&lt;i&gt;x&lt;/i&gt;</a>'
    );
    expect(inlineMarkdown('Bearer <token>')).toBe('Bearer &lt;token&gt;');
  });
});
