import { listMemberships } from '$db/access/accounts';
import { getDb } from '$lib/server/context';

/** Every page knows who is signed in and where; the shell renders from this. */
export const load = async ({ locals }) => {
  const actor = locals.actor;
  if (!actor) return { user: null, organization: null, role: null, memberships: [] };
  return {
    user: actor.user,
    organization: actor.organization,
    role: actor.role,
    memberships: await listMemberships(getDb(), actor.user.id)
  };
};
