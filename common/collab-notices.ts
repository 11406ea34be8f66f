/**
 * Stateless messages the collab-server sends to the clients of a document
 * (Hocuspocus `broadcastStateless` / `sendStateless`; `stored` is relayed to
 * other nodes' clients by the Redis extension). JSON text, so clients ignore
 * kinds they do not know. Only the server sends them: the collab-server
 * refuses every stateless message from a client (collab-server/core/client-messages.ts).
 *
 * - `stored`: the document's state, projection and history up to now are
 *   committed in Postgres. The history panel refreshes on it instead of
 *   guessing when the debounced store has happened.
 * - `access`: this connection's access changed while it was open
 *   (collab-server/core/access-watch.ts). `read`: it is read-only from now on;
 *   `none`: the server closes it right after, and `message` says why (the
 *   page shows it).
 */
export type AccessLossReason = 'signed-out' | 'token-revoked' | 'access-removed' | 'access-lowered';

export type CollabNotice =
  | { type: 'stored'; at: string }
  | { type: 'access'; access: 'read' | 'none'; reason: AccessLossReason; message: string };

const ACCESS_REASONS: readonly AccessLossReason[] = ['signed-out', 'token-revoked', 'access-removed', 'access-lowered'];

export const storedNotice = (at = new Date()): string => JSON.stringify({ type: 'stored', at: at.toISOString() } satisfies CollabNotice);

/** What the page shows when access changes; `what` names the document ("library"). */
export function accessLossMessage(reason: AccessLossReason, what: string): string {
  switch (reason) {
    case 'signed-out':
      return 'You were signed out. Sign in again to keep working.';
    case 'token-revoked':
      return 'The API token this connection used was revoked or has expired.';
    case 'access-removed':
      return `Your access to this ${what} was removed.`;
    case 'access-lowered':
      return `Your access to this ${what} was changed to view only.`;
  }
}

export const accessNotice = (access: 'read' | 'none', reason: AccessLossReason, message: string): string =>
  JSON.stringify({ type: 'access', access, reason, message } satisfies CollabNotice);

/** The notice in a stateless payload, or null for anything else (other senders, garbage). */
export function parseCollabNotice(payload: string): CollabNotice | null {
  try {
    const value = JSON.parse(payload) as Record<string, unknown> | null;
    if (!value || typeof value !== 'object') return null;
    if (value.type === 'stored' && typeof value.at === 'string') return { type: 'stored', at: value.at };
    if (
      value.type === 'access' &&
      (value.access === 'read' || value.access === 'none') &&
      ACCESS_REASONS.includes(value.reason as AccessLossReason) &&
      typeof value.message === 'string'
    ) {
      return { type: 'access', access: value.access, reason: value.reason as AccessLossReason, message: value.message.slice(0, 300) };
    }
    return null;
  } catch {
    return null;
  }
}
