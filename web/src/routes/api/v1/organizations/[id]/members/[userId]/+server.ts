import { changeMemberRole, removeMember } from '$db/access/accounts';
import { getDb } from '$lib/server/context';
import { endpoint, ok, parseParam, readJson } from '$lib/server/api/respond';
import { changeRoleRequest, uuid } from '$lib/server/api/schemas';
import { clientInfo } from '$lib/server/client-info';

export const PATCH = endpoint(async (event) => {
  const orgId = parseParam(uuid, event.params.id, 'Organisation');
  const userId = parseParam(uuid, event.params.userId, 'Member');
  const { role } = await readJson(event.request, changeRoleRequest);
  return ok(await changeMemberRole(getDb(), event.locals.actor, orgId, userId, role, clientInfo(event)));
});

export const DELETE = endpoint(async (event) => {
  const orgId = parseParam(uuid, event.params.id, 'Organisation');
  const userId = parseParam(uuid, event.params.userId, 'Member');
  await removeMember(getDb(), event.locals.actor, orgId, userId, clientInfo(event));
  return ok({ user_id: userId, removed: true });
});
