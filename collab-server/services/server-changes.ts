/**
 * Server-side changes: the server changes a live document as a user (or as
 * itself) through a Hocuspocus direct connection, so open clients see the
 * change at once and the projection and history follow from the store,
 * exactly as for an edit made in a browser. Used by the internal API (cards
 * added through the REST API or from an import) and by restores.
 */
import type { Document, Hocuspocus } from '@hocuspocus/server';
import { AppError } from '../../common/errors';
import { RESTORED_FROM, SYSTEM_ACTOR, type CollabActor, type CollabContext } from '../core/context';
import { resolveIn, type DocumentKind } from '../core/kind';

/** What a server-side change needs of the running server (a `CollabServer` is one). */
export interface LiveDocuments {
  readonly hocuspocus: Hocuspocus;
  readonly kinds: readonly DocumentKind[];
  isDirty(documentName: string): boolean;
}

/**
 * Change a live document from the server. Opens a direct connection with
 * context `{ actor, access: 'edit' }` (actor defaults to SYSTEM_ACTOR), runs
 * `fn` in a single Yjs transaction (clients receive one update), stores the
 * document at once and disconnects. `fn` must be synchronous and should
 * validate before it mutates: Yjs has no rollback, changes made before a
 * throw stay. Rejects with SERVICE_UNAVAILABLE when the change is live but
 * could not be stored (it is retried on the next change / flush / unload).
 * `restoredFrom` marks the change as a restore of that change (history).
 */
export async function withDocument<T>(
  collab: LiveDocuments,
  documentName: string,
  fn: (doc: Document) => T,
  options: { actor?: CollabActor; restoredFrom?: number | null } = {}
): Promise<T> {
  if (!resolveIn(documentName, collab.kinds)) {
    throw new AppError('NOT_FOUND', `${documentName}: no document kind matches this name`);
  }
  const context: CollabContext = { actor: options.actor ?? SYSTEM_ACTOR, access: 'edit', [RESTORED_FROM]: options.restoredFrom ?? null };
  const connection = await collab.hocuspocus.openDirectConnection(documentName, context);
  let result!: T;
  try {
    await connection.transact((doc) => {
      // The direct connection is the origin, so onChange hooks see its context.
      doc.transact(() => {
        result = fn(doc);
      }, connection);
    });
  } finally {
    await connection.disconnect();
  }
  if (collab.isDirty(documentName)) {
    throw new AppError('SERVICE_UNAVAILABLE', `${documentName} was changed but could not be stored yet`);
  }
  return result;
}
