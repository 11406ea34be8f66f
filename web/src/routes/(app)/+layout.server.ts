import { listNotifications, unreadCount } from '$db/access/notifications';
import { getDb, getEnv } from '$lib/server/context';

export const load = async ({ locals }) => {
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
