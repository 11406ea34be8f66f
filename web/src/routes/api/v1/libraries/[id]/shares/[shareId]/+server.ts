import { unshareLibrary } from '$db/access/libraries';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { clientInfo } from '$lib/server/client-info';

export const DELETE = endpoint(async (event) => {
  await unshareLibrary(getDb(), event.locals.actor, event.params.id ?? '', event.params.shareId ?? '', clientInfo(event));
  return ok({ removed: true });
});
