import { json, redirect, type Handle, type HandleServerError } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { authenticateToken } from '$db/auth';
import { getDb, getEnv, getLog } from '$lib/server/context';
import { SESSION_COOKIE, deleteSessionCookie, setSessionCookie } from '$lib/server/session-cookie';
import { errorResponse } from '$lib/server/api/respond';
import { bodyTooLargeLimit, tooLargeBody } from '$lib/server/body-limit';
import { RETRY_AFTER_SECONDS, isDependencyDown, markUnavailable, serviceUnavailable, wasUnavailable } from '$lib/server/unavailable';
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
      if (!isDependencyDown(err)) throw err;
      // Not "signed out": the page renders the styled 503 ((app)/+layout.server.ts), no redirect to /login.
      markUnavailable(event.locals);
      return resolve(event);
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
  if (!isPublic && !event.locals.actor && !wasUnavailable(event.locals)) {
    const redirectTo = path === '/' ? '' : `?redirectTo=${encodeURIComponent(path + event.url.search)}`;
    redirect(303, `/login${redirectTo}`);
  }
  return resolve(event);
};

/**
 * Faults found while the request ran become their own status: a body that
 * went past the limit while being read (web/server.ts stopped reading it) is
 * 413, whatever the route made of the failed read; a page that met an
 * unreachable Postgres or Redis (handleError) is 503 with Retry-After, the
 * error page saying so.
 */
const answerFaults: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  const limit = bodyTooLargeLimit((event.platform as { req?: unknown } | undefined)?.req);
  if (limit !== undefined) {
    await response.body?.cancel().catch(() => {});
    return json(tooLargeBody(limit), { status: 413 });
  }
  if ((response.status === 500 || response.status === 503) && wasUnavailable(event.locals)) {
    const headers = new Headers(response.headers);
    headers.set('Retry-After', String(RETRY_AFTER_SECONDS));
    headers.set('Cache-Control', 'no-store');
    return new Response(response.body, { status: 503, headers });
  }
  return response;
};

/**
 * The collab-server's WebSocket origin, as the board page computes it
 * (lib/live/session.svelte.ts collabUrl): PUBLIC_COLLAB_URL, else this page's
 * host name on COLLAB_PORT. It depends on the Host the page was asked for, so
 * the static policy in svelte.config.js cannot name it.
 */
function collabOrigin(url: URL): string {
  const { PUBLIC_COLLAB_URL, COLLAB_PORT } = getEnv();
  if (PUBLIC_COLLAB_URL) {
    try {
      return new URL(PUBLIC_COLLAB_URL).origin;
    } catch {
      // A malformed setting breaks the board with or without CSP; keep the policy valid.
    }
  }
  return `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.hostname}:${COLLAB_PORT}`;
}

/** Add the collab-server to the page's connect-src (SvelteKit wrote the rest of the policy). */
function allowCollab(response: Response, url: URL) {
  const policy = response.headers.get('content-security-policy');
  if (!policy) return;
  response.headers.set('content-security-policy', policy.replace(/(^|;\s*)connect-src ([^;]*)/, `$1connect-src $2 ${collabOrigin(url)}`));
}

/** Security headers every response carries. */
const securityHeaders: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  allowCollab(response, event.url);
  response.headers.set('X-Content-Type-Options', 'nosniff');
  response.headers.set('Referrer-Policy', 'same-origin');
  if (!event.url.pathname.startsWith('/api/v1/') || event.url.pathname === '/api/v1/docs') {
    response.headers.set('X-Frame-Options', 'DENY');
  }
  return response;
};

export const handle = sequence(securityHeaders, answerFaults, checkOrigin, authenticate, guardPages);

export const handleError: HandleServerError = ({ error, event, status, message }) => {
  if (isDependencyDown(error)) {
    markUnavailable(event.locals);
    getLog().warn('dependency unavailable:', error);
    const unavailable = serviceUnavailable();
    return { message: unavailable.message, code: unavailable.code };
  }
  if (bodyTooLargeLimit((event.platform as { req?: unknown } | undefined)?.req) !== undefined) {
    return { message: 'The request body is too large', code: 'PAYLOAD_TOO_LARGE' }; // answerFaults makes it a 413
  }
  if (status >= 500) getLog().error('unhandled error:', error);
  return { message: status >= 500 ? 'Something went wrong on our side; it has been logged' : message };
};
