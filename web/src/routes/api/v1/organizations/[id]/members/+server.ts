import { listMembers } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok, parseParam } from '$lib/server/api/respond';
import { uuid } from '$lib/server/api/schemas';
import { presentMember } from '$lib/server/api/presenters/accounts';

export const GET = endpoint(async ({ locals, params }) => {
  const orgId = parseParam(uuid, params.id, 'Organisation');
  const members = await listMembers(getDb(), locals.actor, orgId);
  return ok(members.map(presentMember));
});
