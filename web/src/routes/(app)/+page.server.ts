import { listMembers } from '$db/access/accounts';
import { getDb } from '$lib/server/context';

export const load = async ({ locals }) => {
  const org = locals.actor?.organization;
  return { memberCount: org ? (await listMembers(getDb(), locals.actor, org.id)).length : 0 };
};
