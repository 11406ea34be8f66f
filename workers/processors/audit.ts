/**
 * `audit` queue: `checkpoint` verifies each audit chain with events after its
 * newest checkpoint and signs its head (db/audit.ts writeAuditCheckpoints),
 * every 10 minutes (`schedules` in common/queues.ts). Here, not in the request
 * path: the scheduler makes one job per tick across all worker processes, and
 * verifying a chain before signing it reads every event since its newest checkpoint.
 */
import { checkpointKey, writeAuditCheckpoints } from '../../db/audit';
import { defineProcessor } from '../processor';

export default defineProcessor('audit', {
  async checkpoint(job, ctx) {
    const key = ctx.env.AUDIT_CHECKPOINT_KEY ? checkpointKey(ctx.env.AUDIT_CHECKPOINT_KEY) : null;
    if (!key) {
      ctx.log.warn('AUDIT_CHECKPOINT_KEY is not set: no audit checkpoints written');
      return { written: 0, refused: 0 };
    }
    const { written, refused } = await writeAuditCheckpoints(ctx.db, key, { organizationId: job.data.organizationId });
    // Also in the log, outside the database: the heads a rewrite would have to match.
    for (const c of written) {
      ctx.log.info(`audit checkpoint ${c.id}: chain ${c.organizationId ?? '(none)'} event ${c.lastEventId} count ${c.eventCount} head ${c.headHash}`);
    }
    for (const v of refused) {
      ctx.log.error(`audit chain ${v.organizationId ?? '(none)'} does not verify, not signed: ${v.problems.map((p) => p.reason).join('; ')}`);
    }
    return { written: written.length, refused: refused.length };
  }
});
