/**
 * What a client may send: checked in the guard (beforeHandleMessage), before
 * Hocuspocus applies or relays anything.
 *
 * - Yjs updates must decode (a truncated one would be half-applied, broadcast
 *   and stored).
 * - Stateless messages are the server's (common/collab-notices.ts: `stored`,
 *   `access`). Crosslink's pages send none, and Hocuspocus relays a client's
 *   BroadcastStateless to every client of the document as is, so a client
 *   could announce "stored" or "your access was removed" to everyone: every
 *   client stateless message is refused, read-only clients included.
 * - Presence is the connection's: an awareness state naming a `user` must
 *   name the connection's own user (id and name), or the whole message is
 *   refused, so nobody appears on a board as someone else. Providers echo
 *   the states of everyone else they received back to the server; those
 *   carry a clock the server already has, awareness ignores them, and so does
 *   this check (only states that would be applied are judged).
 * - Authorship in documents is the connection's: a new Yjs entry under an
 *   identity key (`authorId`, `authorName` of comments, `addedBy` of cards;
 *   common/board.ts) must carry the connection's user. Verified rather than
 *   stamped: Yjs entries are immutable once created, so the server cannot
 *   rewrite a forged one without a second, visible change, and what others
 *   received would already be wrong. Entries the document already holds are
 *   not judged again: a client that resends everything it has after a
 *   reconnect (other people's comments included) is not refused for them.
 */
import { IncomingMessage, MessageType } from '@hocuspocus/server';
import * as Y from 'yjs';

export type MessageRefusal = 'corrupt-update' | 'client-notice' | 'forged-presence' | 'forged-author';

/** The document as Hocuspocus holds it: a Y.Doc with the awareness it relays. */
export type LiveDocument = Y.Doc & { awareness?: { meta: Map<number, { clock: number }> } };

/** Who the connection is; what identity fields must say. */
export interface ConnectionIdentity {
  userId: string;
  userName: string;
}

// y-protocols/sync message types inside a Hocuspocus Sync message.
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;

/** Keys under which a document records who did something, and what each must equal. */
const IDENTITY_KEYS: Readonly<Record<string, (value: unknown, who: ConnectionIdentity) => boolean>> = {
  authorId: (value, who) => value === who.userId,
  authorName: (value, who) => value === who.userName,
  // Cards added by a client (none today: the server adds them) may also say "nobody".
  addedBy: (value, who) => value === who.userId || value === null
};

/**
 * Why a client message must not be applied, or null when it may. `who` null
 * skips the identity checks (only decoding is checked).
 */
export function refuseClientMessage(data: Uint8Array, document: LiveDocument, who: ConnectionIdentity | null): MessageRefusal | null {
  let message: IncomingMessage;
  let type: number;
  try {
    message = new IncomingMessage(data);
    message.readVarString();
    type = message.readVarUint();
  } catch {
    return 'corrupt-update';
  }
  switch (type) {
    case MessageType.Sync:
    case MessageType.SyncReply:
      return refuseSyncMessage(message, document, who);
    case MessageType.Awareness:
      return refuseAwareness(message, document, who);
    case MessageType.Stateless:
    case MessageType.BroadcastStateless:
      return 'client-notice';
    default:
      return null;
  }
}

/** The Yjs update a Sync message carries (read past its document name and type), or null for a sync step 1. */
function readSyncUpdate(message: IncomingMessage): Uint8Array | null {
  const syncType = message.readVarUint();
  return syncType === SYNC_STEP_2 || syncType === SYNC_UPDATE ? message.readVarUint8Array() : null;
}

/** The Yjs update a client's sync step 2 / update message carries, else null (the update log's input; the guard has checked it decodes). */
export function clientUpdate(data: Uint8Array): Uint8Array | null {
  const message = new IncomingMessage(data);
  message.readVarString();
  const type = message.readVarUint();
  return type === MessageType.Sync || type === MessageType.SyncReply ? readSyncUpdate(message) : null;
}

function refuseSyncMessage(message: IncomingMessage, document: Y.Doc, who: ConnectionIdentity | null): MessageRefusal | null {
  let structs: ReturnType<typeof Y.decodeUpdate>['structs'];
  try {
    const update = readSyncUpdate(message);
    if (!update) return null;
    // Parses every struct and the delete set without touching any document.
    structs = Y.decodeUpdate(update).structs;
  } catch {
    return 'corrupt-update';
  }
  if (!who) return null;
  for (const struct of structs) {
    if (!(struct instanceof Y.Item) || struct.parentSub === null) continue;
    const valid = IDENTITY_KEYS[struct.parentSub];
    if (!valid) continue;
    // Already in the document: a resend, judged when it first arrived.
    if (struct.id.clock < Y.getState(document.store, struct.id.client)) continue;
    const value = struct.content instanceof Y.ContentAny ? struct.content.arr[0] : undefined;
    if (!valid(value, who)) return 'forged-author';
  }
  return null;
}

function refuseAwareness(message: IncomingMessage, document: LiveDocument, who: ConnectionIdentity | null): MessageRefusal | null {
  try {
    const update = new IncomingMessage(message.readVarUint8Array());
    const count = update.readVarUint();
    for (let i = 0; i < count; i++) {
      const clientId = update.readVarUint();
      const clock = update.readVarUint();
      const state = JSON.parse(update.readVarString()) as { user?: { id?: unknown; name?: unknown } } | null;
      if (!who || state === null || typeof state !== 'object' || !('user' in state)) continue;
      // Not newer than what the server holds: an echo, which awareness does not apply.
      const known = document.awareness?.meta.get(clientId)?.clock;
      if (known !== undefined && clock <= known) continue;
      if (state.user?.id !== who.userId || state.user?.name !== who.userName) return 'forged-presence';
    }
    return null;
  } catch {
    return 'corrupt-update';
  }
}
