import { createInvitation, listInvitations } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok, parseParam, readJson } from '$lib/server/api/respond';
import { createInvitationRequest, uuid } from '$lib/server/api/schemas';
import { clientInfo } from '$lib/server/client-info';
import { presentInvitation } from '$lib/server/api/presenters/accounts';

export const GET = endpoint(async ({ locals, params }) => {
  const orgId = parseParam(uuid, params.id, 'Organisation');
  return ok((await listInvitations(getDb(), locals.actor, orgId)).map(presentInvitation));
});

/** Returns the invitation link once; only its token's hash is stored. */
export const POST = endpoint(async (event) => {
  const orgId = parseParam(uuid, event.params.id, 'Organisation');
  const input = await readJson(event.request, createInvitationRequest);
  const { token, invitation } = await createInvitation(getDb(), event.locals.actor, orgId, input, clientInfo(event));
  return ok({ ...presentInvitation(invitation), token, url: new URL(`/invite/${token}`, event.url.origin).href }, { status: 201 });
});
