/**
 * The inline Markdown that the OpenAPI descriptions use, as HTML: `code`, **strong**, *emphasis*
 * (or _emphasis_) and [links](url). Descriptions are our own text, but the output goes through
 * {@html}, so the text is escaped first and only this subset becomes markup: nothing in a
 * description can inject an element or an attribute. Links keep to http(s), relative paths and
 * anchors (no javascript:). Long paths in code get a break opportunity after each slash.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

const SAFE_HREF = /^(https?:\/\/|\/(?!\/)|#)/i;

/** A path or other code: escaped, with <wbr> after each slash so it wraps between segments. */
export const codeHtml = (s: string) => escapeHtml(s).replace(/\//g, '/<wbr>');

function emphasis(escaped: string): string {
  return escaped
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_(?=\S)(.+?)(?<=\S)_(?!\w)/g, '$1<em>$2</em>');
}

function links(text: string): string {
  // Runs on raw text (between code spans): label and URL are escaped on their own.
  let out = '';
  let last = 0;
  for (const m of text.matchAll(/\[([^\]\n]+)\]\(([^()\s]+)\)/g)) {
    out += emphasis(escapeHtml(text.slice(last, m.index)));
    const label = emphasis(escapeHtml(m[1]));
    out += SAFE_HREF.test(m[2]) ? `<a href="${escapeHtml(m[2])}">${label}</a>` : label;
    last = m.index + m[0].length;
  }
  return out + emphasis(escapeHtml(text.slice(last)));
}

/** One description as safe inline HTML. */
export function inlineMarkdown(text: string | null | undefined): string {
  if (!text) return '';
  // Code spans first: nothing inside them is Markdown.
  return text
    .split(/(`[^`\n]+`)/g)
    .map((part) => (part.length > 2 && part.startsWith('`') && part.endsWith('`') ? `<code>${codeHtml(part.slice(1, -1))}</code>` : links(part)))
    .join('');
}
