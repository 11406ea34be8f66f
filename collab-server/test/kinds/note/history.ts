/** A note's history in words, its restore, audit actions and @mentions. */
import type { HistoryConfig } from '../../../core/kind';
import { readNote, restoreNote, type NoteState } from './schema';

export type NoteChange =
  | { kind: 'note.edited'; text: string }
  | { kind: 'note.restored'; text: string }
  | { kind: 'comment.added'; text: string; commentId: string; mentions: string[] };

export const noteHistory: HistoryConfig<NoteState, NoteChange> = {
  read: readNote,
  describe(before, after) {
    const out: NoteChange[] = [];
    if (before.body !== after.body) out.push({ kind: 'note.edited', text: 'edited the note' });
    const known = new Set(before.comments.map((c) => c.id));
    for (const c of after.comments) {
      if (!known.has(c.id)) out.push({ kind: 'comment.added', text: `commented “${c.text.slice(0, 40)}”`, commentId: c.id, mentions: c.mentions });
    }
    return out;
  },
  restored: (changeId) => ({ kind: 'note.restored', text: `restored the note to change #${changeId}` }),
  restore: restoreNote,
  audit: { entityType: 'note', changed: 'note.changed', restored: 'note.restored' },
  mentions: {
    notification: 'note.mention',
    find({ summary, author }, { ref }) {
      return summary.flatMap((d) =>
        d.kind === 'comment.added'
          ? d.mentions.map((userId) => ({
              key: `note-mention:${d.commentId}:${userId}`,
              userId,
              title: `${author.name} mentioned you in a note`,
              body: null,
              link: `/notes/${ref.id}`
            }))
          : []
      );
    }
  }
};
