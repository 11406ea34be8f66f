/**
 * What a stored note becomes in Postgres: one `test_note_projection` row per
 * note (words in the body, number of comments). The table is the test's own
 * (made by `ensureNoteProjectionTable` with the owner's rights), since a
 * test-only kind gets no migration.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../../../db/client';
import type { Projector } from '../../../core/kind';
import { readNote } from './schema';

export async function ensureNoteProjectionTable(owner: Db) {
  await owner.execute(sql`
    create table if not exists test_note_projection (
      document_name text primary key references collab_documents(name) on delete cascade,
      organization_id uuid not null,
      words int not null,
      comments int not null
    )`);
  await owner.execute(sql`grant select, insert, update, delete on test_note_projection to crosslink_app`);
}

export const projectNote: Projector = async (tx, documentName, ydoc, _ref, store) => {
  const note = readNote(ydoc);
  const words = note.body.split(/\s+/).filter(Boolean).length;
  await tx.execute(sql`
    insert into test_note_projection (document_name, organization_id, words, comments)
    values (${documentName}, ${store.organizationId}, ${words}, ${note.comments.length})
    on conflict (document_name) do update set words = excluded.words, comments = excluded.comments`);
};
