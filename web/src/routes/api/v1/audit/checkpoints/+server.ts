import { checkpointKeyFromEnv, signAuditHead, verifyAuditChain } from '$db/audit';
import { requireRole } from '$db/access/authorize';
import { AppError } from '$common/errors';
import { getDb } from '$lib/server/context';
import { endpoint, ok } from '$lib/server/api/respond';
import { presentVerification } from '../present';

/** Verify the active organisation's chain and, when intact, sign its head now (owners and admins). */
export const POST = endpoint(async ({ locals }) => {
  const actor = requireRole(locals.actor, 'admin');
  const organizationId = actor.organization.id;
  const key = checkpointKeyFromEnv();
  if (!key) throw new AppError('SERVICE_UNAVAILABLE', 'Audit checkpoints are not configured on this server (AUDIT_CHECKPOINT_KEY)');
  // Verified from the start (the workers' ticks verify since the newest checkpoint).
  const v = await verifyAuditChain(getDb(), organizationId, key);
  if (!v.ok) throw new AppError('CONFLICT', 'The audit trail does not verify; it was not signed', v.problems.map((p) => ({ message: p.reason })));
  const { checkpoint: c, verification } = await signAuditHead(getDb(), key, v);
  return ok({ verification: presentVerification({ ...verification, organizationId }), checkpoint: c ? { id: c.id, last_event_id: c.lastEventId, event_count: c.eventCount } : null }, { status: 201 });
});
