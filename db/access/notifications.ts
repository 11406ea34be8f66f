/**
 * Notifications: the bell's rows. Written by the `notifications` worker
 * (`deliver` job), read and marked read by the web app and over socket.io.
 * Every read/write is scoped to one user id: a user only ever sees and
 * changes their own notifications.
 */
import { and, count, desc, eq, inArray, isNull, lt } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { notifications, type Notification } from '../schema';

export interface NewNotification {
  userId: string;
  organizationId?: string | null;
  kind: string;
  title: string;
  body?: string | null;
  link?: string | null;
}

export async function createNotification(db: DbOrTx, input: NewNotification): Promise<Notification> {
  const [row] = await db
    .insert(notifications)
    .values({
      userId: input.userId,
      organizationId: input.organizationId ?? null,
      kind: input.kind,
      title: input.title,
      body: input.body ?? null,
      link: input.link ?? null
    })
    .returning();
  return row;
}

export const MAX_NOTIFICATIONS_PAGE = 100;

/**
 * Newest first. `before` (a createdAt of the last row seen) pages backwards;
 * `unreadOnly` hides read ones.
 */
export async function listNotifications(
  db: DbOrTx,
  userId: string,
  options: { limit?: number; before?: Date; unreadOnly?: boolean } = {}
): Promise<Notification[]> {
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 20)), MAX_NOTIFICATIONS_PAGE);
  const conditions = [eq(notifications.userId, userId)];
  if (options.before) conditions.push(lt(notifications.createdAt, options.before));
  if (options.unreadOnly) conditions.push(isNull(notifications.readAt));
  return db
    .select()
    .from(notifications)
    .where(and(...conditions))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Mark the user's notifications read: the given ids (others' ids are
 * ignored) or `'all'`. Returns how many changed (already-read ones don't count).
 */
export async function markNotificationsRead(db: DbOrTx, userId: string, ids: readonly string[] | 'all'): Promise<number> {
  // Ids that are not UUIDs cannot match (and would make Postgres reject the statement).
  const wanted = ids === 'all' ? 'all' : [...new Set(ids)].filter((id) => UUID_RE.test(id));
  if (wanted !== 'all' && wanted.length === 0) return 0;
  const conditions = [eq(notifications.userId, userId), isNull(notifications.readAt)];
  if (wanted !== 'all') conditions.push(inArray(notifications.id, wanted));
  const rows = await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(...conditions))
    .returning({ id: notifications.id });
  return rows.length;
}

export async function unreadCount(db: DbOrTx, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return row?.n ?? 0;
}
