import { describe, expect, it } from 'vitest';
import { safeRedirect } from './redirect-target';

/** What a browser on https://app.example would do with `Location: <value>`. */
const browserTarget = (location: string) => new URL(location, 'https://app.example/login');

describe('safeRedirect', () => {
  it('keeps same-origin paths with their query and fragment', () => {
    expect(safeRedirect('/registry?q=caffeine&page=2#top')).toBe('/registry?q=caffeine&page=2#top');
    expect(safeRedirect('/libraries/0b6f1c1e-1111-4222-8333-944445555666')).toBe('/libraries/0b6f1c1e-1111-4222-8333-944445555666');
  });

  it('falls back on nothing at all', () => {
    expect(safeRedirect(null)).toBe('/');
    expect(safeRedirect(undefined)).toBe('/');
    expect(safeRedirect('', '')).toBe('');
  });

  const offSite = [
    '//evil.example/phish',
    '///evil.example/phish',
    '/\\evil.example/phish',
    '\\/evil.example/phish',
    '/\t/evil.example/phish',
    '/\n/evil.example/phish',
    '/\r\n/evil.example/phish',
    '/\t\\evil.example',
    '/.//evil.example/phish',
    '/./\\evil.example',
    'https://evil.example/phish',
    'http://app.example.evil.example/',
    ' //evil.example',
    '\t//evil.example',
    'javascript:alert(document.cookie)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.example/phish',
    '../evil'
  ];
  it.each(offSite)('refuses %j', (target) => {
    expect(safeRedirect(target)).toBe('/');
  });

  it('refuses the reported attack after the query string is decoded', () => {
    const params = new URLSearchParams('redirectTo=%2F%09%2Fevil.example%2Fphish');
    expect(safeRedirect(params.get('redirectTo'))).toBe('/');
    const newline = new URLSearchParams('redirectTo=%2F%0A%2Fevil.example%2Fphish');
    expect(safeRedirect(newline.get('redirectTo'))).toBe('/');
  });

  it('leaves percent-encoded slashes encoded, so they stay a path on our origin', () => {
    for (const target of ['/%2F%2Fevil.example', '/%2F%09%2Fevil.example', '/%5Cevil.example', '/%0A/evil']) {
      const result = safeRedirect(target);
      expect(browserTarget(result).origin).toBe('https://app.example');
    }
  });

  it('never returns a value with control characters (an invalid Location header is a 500)', () => {
    for (const target of ['/a\nb', '/a\rb', '/a\tb', '/registry?q=\n', '/x#\u0000']) {
      expect(safeRedirect(target)).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
  });

  it('whatever the input, a browser following the result stays on our origin', () => {
    const tricky = [...offSite, '/ok', '/%2e%2e/%2e%2e//evil', '/..//evil', '/a/../../evil', '/\u3000/evil', '/@evil.example'];
    for (const target of tricky) expect(browserTarget(safeRedirect(target)).origin).toBe('https://app.example');
  });
});
