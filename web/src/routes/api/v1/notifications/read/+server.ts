import { markNotificationsRead } from '$db/access/notifications';
import { requireActor } from '$db/access/authorize';
import { getDb } from '$lib/server/context';
import { endpoint, ok, readJson } from '$lib/server/api/respond';
import { markReadRequest } from '$lib/server/api/schemas';

export const POST = endpoint(async ({ locals, request }) => {
  const actor = requireActor(locals.actor);
  const { ids } = await readJson(request, markReadRequest);
  await markNotificationsRead(getDb(), actor.user.id, ids);
  return ok({ read: true });
});
