import { redirect, type Handle, type HandleServerError } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { authenticateToken } from '$db/auth';
import { getDb } from '$lib/server/context';
import { SESSION_COOKIE, deleteSessionCookie, setSessionCookie } from '$lib/server/session-cookie';
import { errorResponse } from '$lib/server/api/respond';
import { AppError } from '$common/errors';

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF: SvelteKit's own origin check (turned off in svelte.config.js) would
 * also refuse multipart uploads from scripts that authenticate with a bearer
 * token, which no browser attaches by itself. So: a form-encoded write must
 * come from our own origin unless it carries `Authorization: Bearer`.
 */
const checkOrigin: Handle = async ({ event, resolve }) => {
  const { request, url } = event;
  if (UNSAFE.has(request.method) && !/^Bearer\s/i.test(request.headers.get('authorization') ?? '')) {
    const type = (request.headers.get('content-type') ?? '').split(';', 1)[0].trim().toLowerCase();
    if (FORM_TYPES.has(type) && request.headers.get('origin') !== url.origin) {
      return errorResponse(new AppError('AUTHORIZATION_ERROR', `Cross-site ${request.method} form submissions are forbidden`));
    }
  }
  return resolve(event);
};

/** Resolve the caller from `Authorization: Bearer` (scripts) or the session cookie (browsers). */
const authenticate: Handle = async ({ event, resolve }) => {
  const header = event.request.headers.get('authorization');
  const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? null;
  const cookie = event.cookies.get(SESSION_COOKIE) ?? null;
  const token = bearer ?? cookie;
  event.locals.token = token;
  event.locals.actor = null;
  if (token) {
    try {
      event.locals.actor = await authenticateToken(getDb(), token);
    } catch (err) {
      if (event.url.pathname.startsWith('/api/')) return errorResponse(err);
      throw err;
    }
    if (!bearer && cookie) {
      const actor = event.locals.actor;
      // Keep the cookie's expiry in step with the sliding session; drop a dead cookie.
      if (actor?.sessionExpiresAt) setSessionCookie(event.cookies, cookie, actor.sessionExpiresAt);
      else if (!actor) deleteSessionCookie(event.cookies);
    }
    if (bearer && !event.locals.actor && event.url.pathname.startsWith('/api/')) {
      return errorResponse(new AppError('AUTHENTICATION_ERROR', 'The bearer token is unknown, expired or revoked'));
    }
  }
  return resolve(event);
};

/** Pages under the app shell need a signed-in user; API routes answer 401 themselves. */
const guardPages: Handle = async ({ event, resolve }) => {
  const path = event.url.pathname;
  const isPublic =
    path.startsWith('/api/') ||
    path === '/login' ||
    path === '/signup' ||
    path.startsWith('/invite/') ||
    path.startsWith('/_app/') ||
    path === '/favicon.svg';
  if (!isPublic && !event.locals.actor) {
    const redirectTo = path === '/' ? '' : `?redirectTo=${encodeURIComponent(path + event.url.search)}`;
    redirect(303, `/login${redirectTo}`);
  }
  return resolve(event);
};

/** Security headers every response carries. */
const securityHeaders: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  response.headers.set('X-Content-Type-Options', 'nosniff');
  response.headers.set('Referrer-Policy', 'same-origin');
  if (!event.url.pathname.startsWith('/api/v1/') || event.url.pathname === '/api/v1/docs') {
    response.headers.set('X-Frame-Options', 'DENY');
  }
  return response;
};

export const handle = sequence(securityHeaders, checkOrigin, authenticate, guardPages);

export const handleError: HandleServerError = ({ error, status, message }) => {
  if (status >= 500) console.error('[web] unhandled error:', error);
  return { message: status >= 500 ? 'Something went wrong on our side; it has been logged' : message };
};
