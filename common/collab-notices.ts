/**
 * Stateless messages the collab-server sends to the clients of a document
 * (Hocuspocus `broadcastStateless`; relayed to other nodes' clients by the
 * Redis extension). JSON text, so clients ignore kinds they do not know.
 *
 * - `stored`: the document's state, projection and history up to now are
 *   committed in Postgres. The history panel refreshes on it instead of
 *   guessing when the debounced store has happened.
 */
export type CollabNotice = { type: 'stored'; at: string };

export const storedNotice = (at = new Date()): string => JSON.stringify({ type: 'stored', at: at.toISOString() } satisfies CollabNotice);

/** The notice in a stateless payload, or null for anything else (other senders, garbage). */
export function parseCollabNotice(payload: string): CollabNotice | null {
  try {
    const value = JSON.parse(payload) as Partial<CollabNotice> | null;
    return value && value.type === 'stored' && typeof value.at === 'string' ? { type: 'stored', at: value.at } : null;
  } catch {
    return null;
  }
}
