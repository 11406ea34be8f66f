/**
 * `notifications` queue: `deliver` persists a notification row for its
 * recipient and pushes it live to the recipient's open tabs (`user:<id>`).
 * The insert is the only step that can fail (the push is fire-and-forget),
 * so a retried job does not write the row twice.
 */
import { createNotification } from '../../db/access/notifications';
import type { NotificationEvent } from '../../common/realtime-events';
import { defineProcessor } from '../processor';

export default defineProcessor('notifications', {
  async deliver(job, ctx) {
    const n = job.data.notification;
    const row = await createNotification(ctx.db, {
      userId: n.userId,
      organizationId: n.organizationId,
      kind: n.kind,
      title: n.title,
      body: n.body,
      link: n.link
    });
    const event: NotificationEvent = {
      id: row.id,
      kind: row.kind,
      title: row.title,
      body: row.body,
      link: row.link,
      organizationId: row.organizationId,
      createdAt: row.createdAt.toISOString()
    };
    ctx.realtime.toUser(row.userId).emit('notification', event);
    ctx.log.debug(`delivered notification ${row.id} (${row.kind}) to user ${row.userId}`);
    return { notificationId: row.id };
  }
});
