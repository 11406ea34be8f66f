import { error } from '@sveltejs/kit';
import { listNotifications, unreadCount } from '$db/access/notifications';
import { getDb, getEnv } from '$lib/server/context';
import { serviceUnavailable, wasUnavailable } from '$lib/server/unavailable';

export const load = async ({ locals }) => {
  // The session could not be checked (Postgres unreachable): say so rather than ask to sign in.
  if (wasUnavailable(locals)) {
    const unavailable = serviceUnavailable();
    error(503, { message: unavailable.message, code: unavailable.code });
  }
  const actor = locals.actor!; // hooks.server.ts redirects anonymous visitors to /login
  const [notifications, unread] = await Promise.all([
    listNotifications(getDb(), actor.user.id, { limit: 20 }),
    unreadCount(getDb(), actor.user.id)
  ]);
  const env = getEnv();
  return {
    notifications: JSON.parse(JSON.stringify(notifications)),
    unread,
    // Live documents: PUBLIC_COLLAB_URL, else the page's own host name on COLLAB_PORT (so the
    // session cookie, which is per host name, reaches the collab-server).
    collab: { url: env.PUBLIC_COLLAB_URL ?? null, port: env.COLLAB_PORT }
  };
};
