/**
 * `library:<uuid>`: a library's live board (shape in common/board.ts).
 * Access from the library's shares (db/access/libraries.ts `libraryAccess`):
 * `edit` edits, `view` reads. Stored boards are projected into
 * `library_molecules` (projection.ts) and keep a history with words,
 * versions, restore and @mentions (history.ts).
 */
import { eq } from 'drizzle-orm';
import { ensureLanes } from '../../../common/board';
import { libraryAccess } from '../../../db/access/libraries';
import { libraries } from '../../../db/schema';
import { UUID_PATTERN, type DocumentKind } from '../../core/kind';
import { boardHistory } from './history';
import { projectLibraryBoard } from './projection';

export const libraryDocument: DocumentKind = {
  kind: 'library',
  noun: 'library',
  pattern: new RegExp(`^library:(${UUID_PATTERN})$`),
  async authorize(db, actor, id) {
    const grant = await libraryAccess(db, actor, id);
    return grant ? (grant.access === 'edit' ? 'edit' : 'read') : null;
  },
  async organizationId(db, id) {
    const [row] = await db.select({ organizationId: libraries.organizationId }).from(libraries).where(eq(libraries.id, id));
    return row?.organizationId ?? null;
  },
  project: projectLibraryBoard,
  history: boardHistory,
  initialize: (doc, origin) => void ensureLanes(doc, origin),
  // A share of this library changed or went.
  concerns: (event, id) => event.scope === 'library' && event.libraryId === id
};
