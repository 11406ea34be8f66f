import { redirect } from '@sveltejs/kit';
import { invalidateSession } from '$db/auth';
import { getDb } from '$lib/server/context';
import { SESSION_COOKIE, deleteSessionCookie } from '$lib/server/session-cookie';

export const load = () => redirect(303, '/');

export const actions = {
  default: async ({ cookies }) => {
    const token = cookies.get(SESSION_COOKIE);
    if (token) await invalidateSession(getDb(), token);
    deleteSessionCookie(cookies);
    redirect(303, '/login');
  }
};
