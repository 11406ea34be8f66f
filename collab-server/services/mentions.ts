/**
 * @mentions a kind's history finds (HistoryConfig.mentions) become
 * notifications: one per mention and person, only for people who exist, are
 * not the author, and may open the document (the kind's own `authorize`),
 * queued on the `notifications` queue after the store commits.
 */
import { eq } from 'drizzle-orm';
import type { QueueClient } from '../../common/queues';
import type { Tx } from '../../db/client';
import { users } from '../../db/schema';
import type { HistoryConfig, HistoryEntryView, HistoryScope, MentionNotice } from '../core/kind';
import type { CollabLogger } from '../core/context';

/** Turns what `entry` mentions into notices (`scope.store.notify`), checking each person. */
export async function notifyMentions(history: HistoryConfig, entry: HistoryEntryView<unknown, never>, scope: HistoryScope): Promise<void> {
  const config = history.mentions;
  if (!config) return;
  const found = await config.find(entry, scope);
  for (const m of found) {
    if (m.userId === entry.author.id) continue;
    const [target] = await scope.tx.select({ id: users.id, name: users.name, email: users.email }).from(users).where(eq(users.id, m.userId));
    if (!target) continue;
    const access = await scope.ref.kind.authorize(scope.tx, { user: target, organization: null, role: null, via: 'session', credentialId: '' }, scope.ref.id);
    if (!access) continue;
    scope.store.notify({ ...m, organizationId: null, kind: config.notification });
  }
}

/** Queues stored notices; without a queue they are logged and dropped. */
export function deliverNotices(queues: Pick<QueueClient, 'enqueue'> | undefined, log: CollabLogger, notices: readonly MentionNotice[]) {
  for (const n of notices) {
    if (!queues) {
      log.warn(`no queue configured; dropping notification for ${n.userId}: ${n.title}`);
      continue;
    }
    queues
      .enqueue(
        'notifications',
        'deliver',
        {
          owner: { userId: n.userId, organizationId: n.organizationId },
          notification: { userId: n.userId, organizationId: n.organizationId, kind: n.kind, title: n.title, body: n.body, link: n.link }
        },
        // A retried store describes the same comment again: one notification per comment and person.
        { jobId: n.key.replace(/:/g, '-') }
      )
      .catch((err: Error) => log.warn(`queueing a mention notification failed: ${err.message}`));
  }
}
