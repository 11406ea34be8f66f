/**
 * The history of live documents (`document_changes`, written by the
 * collab-server's history service in the transaction that stores a
 * document). Keyed by document name; callers check access first (e.g.
 * `listBoardHistory` in libraries.ts checks the library).
 */
import { and, asc, desc, eq, isNotNull, lt, lte, sql } from 'drizzle-orm';
import * as Y from 'yjs';
import type { DbOrTx } from '../client';
import { documentChanges, users } from '../schema';

/** Newest first, `limit` rows before change `before` (exclusive), with who made each. */
export async function documentHistory(db: DbOrTx, documentName: string, opts: { before?: number | null; limit: number }) {
  return db
    .select({
      id: documentChanges.id,
      at: documentChanges.createdAt,
      summary: documentChanges.summary,
      restoredFrom: documentChanges.restoredFrom,
      userId: users.id,
      userName: users.name
    })
    .from(documentChanges)
    .leftJoin(users, eq(users.id, documentChanges.userId))
    .where(and(eq(documentChanges.documentName, documentName), opts.before ? lt(documentChanges.id, opts.before) : undefined))
    .orderBy(desc(documentChanges.id))
    .limit(opts.limit);
}

/**
 * The document as it was right after change `changeId`: the nearest snapshot
 * at or before it, then the updates after that snapshot. Never replays the
 * whole history. Null when the change is not this document's.
 */
export async function documentAt(db: DbOrTx, documentName: string, changeId: number): Promise<Y.Doc | null> {
  const [base] = await db
    .select({ id: documentChanges.id, snapshot: documentChanges.snapshot })
    .from(documentChanges)
    .where(and(eq(documentChanges.documentName, documentName), lte(documentChanges.id, changeId), isNotNull(documentChanges.snapshot)))
    .orderBy(desc(documentChanges.id))
    .limit(1);
  const [target] = await db
    .select({ id: documentChanges.id })
    .from(documentChanges)
    .where(and(eq(documentChanges.documentName, documentName), eq(documentChanges.id, changeId)));
  if (!target) return null;
  const doc = new Y.Doc({ guid: documentName }); // a given guid saves 31 random draws
  const after = base?.id ?? 0;
  if (base?.snapshot) Y.applyUpdate(doc, base.snapshot);
  const rest = await db
    .select({ update: documentChanges.update })
    .from(documentChanges)
    .where(and(eq(documentChanges.documentName, documentName), sql`${documentChanges.id} > ${after}`, lte(documentChanges.id, changeId)))
    .orderBy(asc(documentChanges.id));
  for (const r of rest) Y.applyUpdate(doc, r.update);
  return doc;
}
