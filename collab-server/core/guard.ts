/**
 * CrosslinkMessageGuard: WebSocket messages over `maxMessageBytes` close the
 * socket with 1009; Yjs updates that do not decode close it with 1007 before
 * they are applied (a truncated update would otherwise be half-applied,
 * broadcast and stored); client stateless messages, presence naming another
 * user and new authorship naming another user close it with 4403
 * (client-messages.ts). All before any later extension or Hocuspocus sees them.
 */
import type { Extension } from '@hocuspocus/server';
import type { CollabContext } from './context';
import { refuseClientMessage, type MessageRefusal } from './client-messages';
import type { StoreState } from './state';

export function messageGuard(state: StoreState, opts: { maxMessageBytes: number }): Extension {
  const { events, log } = state;
  return {
    extensionName: 'CrosslinkMessageGuard',
    async beforeHandleMessage({ update, connection, documentName, document, context }) {
      const reject = (reason: 'message-too-big' | MessageRefusal, code: number) => {
        events.emit('messageRejected', { documentName, reason, bytes: update.byteLength });
        log.warn(`closing socket ${connection.socketId} on ${documentName}: ${reason} (${update.byteLength} bytes)`);
        connection.webSocket.close(code, reason);
        // Hocuspocus reads code/reason from the error and detaches the connection.
        throw Object.assign(new Error(`message rejected: ${reason}`), { code, reason });
      };
      // Normally unreachable (ws `maxPayload` closes first); kept for sockets
      // handed to `hocuspocus.handleConnection` by another WebSocket server.
      if (update.byteLength > opts.maxMessageBytes) reject('message-too-big', 1009);
      const actor = (context as Partial<CollabContext> | undefined)?.actor;
      const who = actor && 'user' in actor ? { userId: actor.user.id, userName: actor.user.name } : null;
      const refused = refuseClientMessage(update, document, who);
      if (refused) reject(refused, refused === 'corrupt-update' ? 1007 : 4403);
    }
  };
}
