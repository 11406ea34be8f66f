/**
 * Versions and restore for kinds with history: a version is the document
 * right after one of its history rows (db/access/document-history.ts
 * `documentAt`: nearest snapshot plus the updates after it); a restore makes
 * the live document look like a version again, as one server-side change by
 * the person restoring, recorded in the history as a restore of that change.
 */
import { AppError } from '../../common/errors';
import { documentAt } from '../../db/access/document-history';
import type { DbOrTx } from '../../db/client';
import type { CollabActor } from '../core/context';
import { resolveIn } from '../core/kind';
import { withDocument, type LiveDocuments } from './server-changes';

/** Callers check that `actor` may edit the document first (the internal API does). */
export async function restoreVersion(collab: LiveDocuments, db: DbOrTx, documentName: string, changeId: number, actor: CollabActor): Promise<void> {
  const kind = resolveIn(documentName, collab.kinds)?.kind;
  const history = kind?.history;
  if (!kind || !history) throw new AppError('NOT_FOUND', `${documentName} keeps no history`);
  const version = await documentAt(db, documentName, changeId);
  if (!version) throw new AppError('NOT_FOUND', `Change ${changeId} not found in this ${kind.noun ?? 'document'}`);
  try {
    await withDocument(collab, documentName, (doc) => history.restore(doc, version), { actor, restoredFrom: changeId });
  } finally {
    version.destroy();
  }
}
