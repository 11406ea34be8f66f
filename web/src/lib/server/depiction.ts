/** SVG responses; an unparsable structure gets a small "cannot draw" picture with status 422. */
const unreadable = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120" role="img" aria-label="structure cannot be drawn"><rect width="160" height="120" fill="#fff"/><text x="80" y="64" font-family="sans-serif" font-size="12" fill="#b42318" text-anchor="middle">cannot draw structure</text></svg>`;

export function svgResponse(svg: string | null, cacheControl: string): Response {
  return new Response(svg ?? unreadable, {
    status: svg ? 200 : 422,
    headers: {
      'Content-Type': 'image/svg+xml; charset=utf-8',
      'Cache-Control': svg ? cacheControl : 'no-store',
      // An SVG opened directly must not run anything.
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'"
    }
  });
}
