import { acceptInvitation } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { clientInfo } from '$lib/server/client-info';
import { notifyMemberJoined } from '$lib/server/notify';

export const POST = endpoint(async (event) => {
  const joined = await acceptInvitation(getDb(), event.locals.actor, event.params.token ?? "", clientInfo(event));
  await notifyMemberJoined({ organization: joined.organization, role: joined.role, joiner: event.locals.actor!.user });
  return ok(joined);
});
