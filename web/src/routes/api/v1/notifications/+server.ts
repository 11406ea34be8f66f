import { listNotifications, unreadCount } from '$db/access/notifications';
import { requireActor } from '$db/access/authorize';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { presentNotification } from '$lib/server/api/presenters/accounts';

export const GET = endpoint(async ({ locals, url }) => {
  const actor = requireActor(locals.actor);
  const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 30) || 30));
  const [items, unread] = await Promise.all([
    listNotifications(getDb(), actor.user.id, { limit }),
    unreadCount(getDb(), actor.user.id)
  ]);
  return ok(items.map(presentNotification), { meta: { page: 1, page_size: limit, total: unread }, headers: { 'X-Unread-Count': String(unread) } });
});
