/**
 * A test-only document kind, `note:<organisation uuid>.<slug>`, defined in
 * this one folder (shape: schema.ts, access rule: access.ts, projection:
 * projection.ts, history words and mentions: history.ts) and registered
 * through `createCollabServer({ kinds })`. It proves a new kind gets
 * presence, history, versions, restore and mentions from the generic server
 * without any change to it (test/note-kind.test.ts).
 */
import type { DocumentKind } from '../../../core/kind';
import { authorizeNote, NOTE_ID, noteOrganization } from './access';
import { noteHistory } from './history';
import { projectNote } from './projection';

export const noteDocument: DocumentKind = {
  kind: 'note',
  noun: 'note',
  pattern: new RegExp(`^note:(${NOTE_ID})$`),
  authorize: authorizeNote,
  organizationId: async (_db, id) => noteOrganization(id),
  project: projectNote,
  history: noteHistory
};

export { ensureNoteProjectionTable } from './projection';
export { addNoteComment, readNote, writeBody } from './schema';
