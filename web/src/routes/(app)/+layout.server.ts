import { listNotifications, unreadCount } from '$db/access/notifications';
import { getDb } from '$lib/server/context';

export const load = async ({ locals }) => {
  const actor = locals.actor!; // hooks.server.ts redirects anonymous visitors to /login
  const [notifications, unread] = await Promise.all([
    listNotifications(getDb(), actor.user.id, { limit: 20 }),
    unreadCount(getDb(), actor.user.id)
  ]);
  return { notifications: JSON.parse(JSON.stringify(notifications)), unread };
};
