/**
 * The audit verification as the API shows it (schema: auditVerification in
 * $lib/server/api/schemas.ts).
 */
import type { z } from 'zod';
import type { AuditChainVerification } from '$db/audit';
import type { auditVerification } from '$lib/server/api/schemas';

export function presentVerification(v: AuditChainVerification & { organizationId: string }): z.infer<typeof auditVerification> {
  const newest = v.newestCheckpoint;
  return {
    organization_id: v.organizationId,
    status: v.ok ? 'ok' : 'broken',
    events: v.count,
    head: v.head ? { event_id: v.head.eventId, hash: v.head.hash } : null,
    checkpoints_checked: v.checkpointsChecked,
    newest_checkpoint: newest
      ? { id: newest.id, last_event_id: newest.lastEventId, event_count: newest.eventCount, created_at: newest.createdAt.toISOString() }
      : null,
    events_after_newest_checkpoint: v.count - (newest?.eventCount ?? 0),
    anchored: v.anchored,
    problems: v.problems.map((p) => ({ event_id: p.eventId, checkpoint_id: p.checkpointId, reason: p.reason }))
  };
}
