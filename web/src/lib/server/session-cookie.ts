import type { Cookies } from '@sveltejs/kit';

import { SESSION_COOKIE } from '$db/auth';

export { SESSION_COOKIE };

export function setSessionCookie(cookies: Cookies, token: string, expiresAt: Date) {
  cookies.set(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    // `secure` in production only, so http://localhost works in development and tests.
    secure: process.env.NODE_ENV === 'production' && !(process.env.ORIGIN ?? '').startsWith('http://'),
    expires: expiresAt
  });
}

export function deleteSessionCookie(cookies: Cookies) {
  cookies.delete(SESSION_COOKIE, { path: '/' });
}
