/**
 * Where to send someone after sign-in, sign-up or an organisation switch: only a
 * path on our own origin. The value comes from the query string or a form field,
 * so it is hostile until proven otherwise.
 *
 * Prefix checks are not enough because browsers rewrite URLs before following
 * them: they drop ASCII tab and newline anywhere (`/\t/evil.example` becomes
 * `//evil.example`, another host) and read `\` as `/`. The WHATWG `URL` parser
 * applies exactly those rules, so the target is resolved against an origin of
 * ours and accepted only when the origin is unchanged, and what is returned is
 * the parser's normalised path: no tab, newline or backslash is left to make
 * the Location header invalid (a 500) or to be reinterpreted by the browser.
 */

/** A stand-in for the app's origin: only "did the origin change" matters here. */
const OWN_ORIGIN = 'http://crosslink.invalid';

export function safeRedirect(target: string | null | undefined, fallback = '/'): string {
  // Only absolute paths: no schemes (`javascript:`), no relative paths, no leading whitespace.
  if (typeof target !== 'string' || !target.startsWith('/')) return fallback;
  let url: URL;
  try {
    url = new URL(target, OWN_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== OWN_ORIGIN) return fallback;
  const path = url.pathname + url.search + url.hash;
  // `/.//evil` normalises to the path `//evil`, which a browser would read as another host.
  if (path.startsWith('//')) return fallback;
  return path;
}
