/**
 * CrosslinkChangeLog: records who changed what (for history) and lets a kind
 * shape a new document after it is loaded. Changes that came from other
 * nodes through Redis are theirs to record.
 */
import type { Extension, onChangePayload } from '@hocuspocus/server';
import { actorUserId, RESTORED_FROM, SYSTEM_ACTOR, type CollabContext } from './context';
import { resolveIn } from './kind';
import type { StoreState } from './state';

export function changeLog(state: StoreState): Extension {
  const { changes, durable, dirty, owners, kinds } = state;
  return {
    extensionName: 'CrosslinkChangeLog',
    // Before Redis (1000): Hocuspocus does not await onChange, and runs the chain
    // one awaited extension at a time. First in line, the change is recorded
    // synchronously, before the store it belongs to can start.
    priority: 1001,
    onChange({ documentName, update, context, transactionOrigin }: onChangePayload) {
      if (state.fromOtherNode(transactionOrigin)) return Promise.resolve();
      const ctx = context as Partial<CollabContext> | undefined;
      const restoredFrom = ctx?.[RESTORED_FROM] ?? null;
      durable.changed(documentName, update, transactionOrigin, ctx, restoredFrom);
      const list = changes.get(documentName) ?? [];
      list.push({ userId: actorUserId(ctx?.actor), update, at: new Date(), restoredFrom });
      changes.set(documentName, list);
      return Promise.resolve();
    },
    async afterLoadDocument({ documentName, document }) {
      const ref = resolveIn(documentName, kinds);
      if (!ref?.kind.initialize) return;
      // Origin with a system context, so the change is recorded as the server's.
      const origin = { context: { actor: SYSTEM_ACTOR, access: 'edit' } satisfies CollabContext };
      ref.kind.initialize(document, origin);
    },
    async afterUnloadDocument({ documentName }) {
      // Anything left was stored by the last store (or is lost with the document if that failed).
      if (!dirty.has(documentName)) changes.delete(documentName);
      owners.delete(documentName);
    }
  };
}
