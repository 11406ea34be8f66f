import { acceptInvitation } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { clientInfo } from '$lib/server/client-info';

export const POST = endpoint(async (event) => {
  const joined = await acceptInvitation(getDb(), event.locals.actor, event.params.token ?? "", clientInfo(event));
  return ok(joined);
});
