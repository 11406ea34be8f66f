import type { Cookies } from '@sveltejs/kit';

import { SESSION_COOKIE } from '$db/auth';
import { getEnv } from './context';

export { SESSION_COOKIE };

export function setSessionCookie(cookies: Cookies, token: string, expiresAt: Date) {
  cookies.set(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    // `secure` in production only, so http://localhost works in development and tests.
    secure: getEnv().NODE_ENV === 'production' && !(getEnv().ORIGIN ?? '').startsWith('http://'),
    expires: expiresAt
  });
}

export function deleteSessionCookie(cookies: Cookies) {
  cookies.delete(SESSION_COOKIE, { path: '/' });
}
