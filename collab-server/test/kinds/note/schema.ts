/**
 * The `note` document's shape: a body (Y.Text `body`) and comments (Y.Array
 * `comments` of Y.Maps). Comments carry their author under the identity keys
 * the guard checks for every kind (`authorId`, `authorName`:
 * core/client-messages.ts), and the ids of the people they mention.
 */
import * as Y from 'yjs';

export interface NoteComment {
  id: string;
  authorId: string;
  authorName: string;
  text: string;
  mentions: string[];
}

export interface NoteState {
  body: string;
  comments: NoteComment[];
}

const body = (doc: Y.Doc) => doc.getText('body');
const comments = (doc: Y.Doc) => doc.getArray<Y.Map<unknown>>('comments');

export function readNote(doc: Y.Doc): NoteState {
  return {
    body: body(doc).toString(),
    comments: comments(doc)
      .toArray()
      .map((m) => ({
        id: String(m.get('id')),
        authorId: String(m.get('authorId')),
        authorName: String(m.get('authorName')),
        text: String(m.get('text') ?? ''),
        mentions: ((m.get('mentions') as string[] | undefined) ?? []).slice()
      }))
  };
}

export function writeBody(doc: Y.Doc, text: string) {
  doc.transact(() => {
    const b = body(doc);
    b.delete(0, b.length);
    b.insert(0, text);
  });
}

export function addNoteComment(doc: Y.Doc, comment: NoteComment) {
  const m = new Y.Map<unknown>();
  for (const [k, v] of Object.entries(comment)) m.set(k, v);
  comments(doc).push([m]);
}

/** Makes `doc` say what `version` says (one change when called inside a transaction). */
export function restoreNote(doc: Y.Doc, version: Y.Doc) {
  const old = readNote(version);
  doc.transact(() => {
    writeBody(doc, old.body);
    const list = comments(doc);
    list.delete(0, list.length);
    for (const c of old.comments) addNoteComment(doc, c);
  });
}
