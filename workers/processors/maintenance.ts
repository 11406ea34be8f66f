/**
 * `maintenance` queue: `purge-expired` deletes expired sessions and expired,
 * never-accepted invitations, `batchSize` rows per statement so no statement
 * holds locks for long, reporting `{ done, total, message }` after each batch.
 * Scheduled hourly (see `schedules` in common/queues.ts); safe to run twice at
 * once (each batch deletes whatever is still there).
 */
import { and, count, inArray, isNull, lt } from 'drizzle-orm';
import { invitations, sessions } from '../../db/schema';
import { defineProcessor } from '../processor';

export default defineProcessor('maintenance', {
  async 'purge-expired'(job, ctx, signal) {
    const { db } = ctx;
    const { batchSize } = job.data;
    const cutoff = job.data.expiredBefore ? new Date(job.data.expiredBefore) : new Date();
    const expiredSessions = lt(sessions.expiresAt, cutoff);
    const expiredInvitations = and(lt(invitations.expiresAt, cutoff), isNull(invitations.acceptedAt));

    const [[s], [i]] = await Promise.all([
      db.select({ n: count() }).from(sessions).where(expiredSessions),
      db.select({ n: count() }).from(invitations).where(expiredInvitations)
    ]);
    let total = s.n + i.n;
    let done = 0;
    await job.updateProgress({ done, total, message: `${s.n} expired sessions, ${i.n} expired invitations` });

    const report = async (message: string) => {
      total = Math.max(total, done); // rows that expired since counting
      await job.updateProgress({ done, total, message });
    };

    let sessionsDeleted = 0;
    for (;;) {
      signal?.throwIfAborted();
      const batch = db.select({ id: sessions.id }).from(sessions).where(expiredSessions).limit(batchSize);
      const { rowCount } = await db.delete(sessions).where(inArray(sessions.id, batch));
      const n = rowCount ?? 0;
      if (n === 0) break;
      sessionsDeleted += n;
      done += n;
      await report(`Deleted ${sessionsDeleted} expired sessions`);
      if (n < batchSize) break;
    }

    let invitationsDeleted = 0;
    for (;;) {
      signal?.throwIfAborted();
      const batch = db.select({ id: invitations.id }).from(invitations).where(expiredInvitations).limit(batchSize);
      const { rowCount } = await db.delete(invitations).where(inArray(invitations.id, batch));
      const n = rowCount ?? 0;
      if (n === 0) break;
      invitationsDeleted += n;
      done += n;
      await report(`Deleted ${invitationsDeleted} expired invitations`);
      if (n < batchSize) break;
    }

    if (sessionsDeleted || invitationsDeleted) {
      ctx.log.info(`purged ${sessionsDeleted} expired sessions and ${invitationsDeleted} expired invitations`);
    }
    await job.updateProgress({ done, total: Math.max(total, done), message: 'Done' });
    return { sessionsDeleted, invitationsDeleted };
  }
});
