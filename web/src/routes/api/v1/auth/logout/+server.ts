import { invalidateSession } from '$db/auth';
import { unauthenticated } from '$common/errors';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { deleteSessionCookie } from '$lib/server/session-cookie';

/** Ends the calling session (API tokens are revoked, not logged out). */
export const POST = endpoint(async ({ locals, cookies }) => {
  if (!locals.actor || !locals.token) throw unauthenticated();
  if (locals.actor.via === 'session') await invalidateSession(getDb(), locals.token);
  deleteSessionCookie(cookies);
  return ok({ signed_out: true });
});
