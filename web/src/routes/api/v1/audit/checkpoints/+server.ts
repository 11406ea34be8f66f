import { checkpointKeyFromEnv, verifyAuditChain, writeAuditCheckpoints } from '$db/audit';
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
  const db = getDb();
  const { written, refused } = await writeAuditCheckpoints(db, key, { organizationId });
  if (refused.length) {
    throw new AppError('CONFLICT', 'The audit trail does not verify; it was not signed', refused[0].problems.map((p) => ({ message: p.reason })));
  }
  const verification = presentVerification({ ...(await verifyAuditChain(db, organizationId, key)), organizationId });
  const c = written[0];
  return ok({ verification, checkpoint: c ? { id: c.id, last_event_id: c.lastEventId, event_count: c.eventCount } : null }, { status: 201 });
});
