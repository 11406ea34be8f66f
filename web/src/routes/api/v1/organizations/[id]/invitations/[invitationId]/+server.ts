import { revokeInvitation } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok, parseParam } from '$lib/server/api/respond';
import { uuid } from '$lib/server/api/schemas';
import { clientInfo } from '$lib/server/client-info';

export const DELETE = endpoint(async (event) => {
  const orgId = parseParam(uuid, event.params.id, 'Organisation');
  const id = parseParam(uuid, event.params.invitationId, 'Invitation');
  await revokeInvitation(getDb(), event.locals.actor, orgId, id, clientInfo(event));
  return ok({ id, revoked: true });
});
