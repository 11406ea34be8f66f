import { verifyAuditChain } from '$db/audit';
import { requireRole } from '$db/access/authorize';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { presentVerification } from '../present';

/** The active organisation's chain, recomputed and checked against its checkpoints (owners and admins). */
export const GET = endpoint(async ({ locals }) => {
  const actor = requireRole(locals.actor, 'admin');
  const v = await verifyAuditChain(getDb(), actor.organization.id);
  return ok(presentVerification({ ...v, organizationId: actor.organization.id }));
});
