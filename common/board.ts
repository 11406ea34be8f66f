/**
 * The live library board: the shape of a `library:<id>` Yjs document and the
 * operations on it, shared by the browser (board page), the collab-server
 * (projection, history, server-side changes) and the tests.
 *
 *   doc.getMap('lanes')    laneId → Y.Map { name: string, pos: order key }
 *   doc.getMap('cards')    moleculeId → Y.Map { lane: laneId, pos: order key,
 *                          tags: Y.Map<tag, true>, addedBy: userId | null, addedAt: ISO time }
 *   doc.getMap('notes')    moleculeId → Y.XmlFragment (rich text, ProseMirror/TipTap schema)
 *   doc.getMap('comments') moleculeId → Y.Array<Y.Map { id, authorId, authorName, text, mentions: userId[], at }>
 *
 * Why this shape: everything that two people may change at once is its own
 * key, so concurrent edits merge instead of overwriting each other. Order is a
 * fractional key per card/lane (`fractional-indexing`), not a position in a
 * Y.Array: Yjs has no "move", and delete+insert from two people would
 * duplicate a card. Equal keys (two people dropping at the same spot) are
 * ordered by id, so every client sorts the same way. Tags are map keys, so two
 * people adding tags both win and removing one does not resurrect another.
 *
 * Every mutation runs inside one `doc.transact(…, origin)`, so an undo step,
 * a network update and a history entry each cover a whole user action.
 */
import { generateKeyBetween, generateNKeysBetween } from 'fractional-indexing';
import * as Y from 'yjs';

export const DEFAULT_LANES = [
  { id: 'ideas', name: 'Ideas' },
  { id: 'make', name: 'Make' },
  { id: 'test', name: 'Test' },
  { id: 'advance', name: 'Advance' },
  { id: 'drop', name: 'Drop' }
] as const;

export const MAX_TAG_LENGTH = 40;
export const MAX_LANE_NAME_LENGTH = 60;
export const MAX_COMMENT_LENGTH = 4000;

export interface Lane {
  id: string;
  name: string;
  pos: string;
}

export interface Card {
  moleculeId: string;
  lane: string;
  pos: string;
  tags: string[];
  addedBy: string | null;
  addedAt: string | null;
}

export interface Comment {
  id: string;
  authorId: string;
  authorName: string;
  text: string;
  mentions: string[];
  at: string;
}

/** The whole board as plain data (what history compares and what the projection writes). */
export interface BoardState {
  lanes: Lane[];
  /** Cards by lane id, each lane in board order. Cards whose lane is gone are in the first lane. */
  cards: Card[];
  /** moleculeId → note as text (for "edited the note"; the rich content stays in Yjs). */
  notes: Record<string, string>;
  comments: Record<string, Comment[]>;
}

export const lanesMap = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('lanes');
export const cardsMap = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('cards');
export const notesMap = (doc: Y.Doc) => doc.getMap<Y.XmlFragment>('notes');
export const commentsMap = (doc: Y.Doc) => doc.getMap<Y.Array<Y.Map<unknown>>>('comments');

const byPosThenId = <T extends { pos: string }>(key: (t: T) => string) => (a: T, b: T) =>
  a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

export function readLanes(doc: Y.Doc): Lane[] {
  const lanes: Lane[] = [];
  lanesMap(doc).forEach((m, id) => lanes.push({ id, name: String(m.get('name') ?? id), pos: String(m.get('pos') ?? '') }));
  return lanes.sort(byPosThenId((l) => l.id));
}

function readCard(moleculeId: string, m: Y.Map<unknown>): Card {
  const tags = m.get('tags');
  return {
    moleculeId,
    lane: String(m.get('lane') ?? ''),
    pos: String(m.get('pos') ?? ''),
    tags: tags instanceof Y.Map ? [...tags.keys()].sort() : [],
    addedBy: (m.get('addedBy') as string | null | undefined) ?? null,
    addedAt: (m.get('addedAt') as string | null | undefined) ?? null
  };
}

export function cardOf(doc: Y.Doc, moleculeId: string): Card | null {
  const m = cardsMap(doc).get(moleculeId);
  return m ? readCard(moleculeId, m) : null;
}

/**
 * Cards in board order: by lane order, then position. A card whose lane was
 * deleted (by someone else, concurrently) shows in the first lane.
 */
export function readCards(doc: Y.Doc, lanes = readLanes(doc)): Card[] {
  const laneIndex = new Map(lanes.map((l, i) => [l.id, i]));
  const fallback = lanes[0]?.id ?? '';
  const cards: Card[] = [];
  cardsMap(doc).forEach((m, id) => {
    const card = readCard(id, m);
    if (!laneIndex.has(card.lane)) card.lane = fallback;
    cards.push(card);
  });
  const order = byPosThenId<Card>((c) => c.moleculeId);
  return cards.sort((a, b) => (laneIndex.get(a.lane) ?? 0) - (laneIndex.get(b.lane) ?? 0) || order(a, b));
}

export function readComments(doc: Y.Doc, moleculeId: string): Comment[] {
  const arr = commentsMap(doc).get(moleculeId);
  if (!arr) return [];
  return arr.toArray().map((m) => ({
    id: String(m.get('id')),
    authorId: String(m.get('authorId') ?? ''),
    authorName: String(m.get('authorName') ?? ''),
    text: String(m.get('text') ?? ''),
    mentions: (m.get('mentions') as string[] | undefined) ?? [],
    at: String(m.get('at') ?? '')
  }));
}

/** Plain text of a note (paragraphs joined by newlines). */
export function noteText(fragment: Y.XmlFragment | undefined): string {
  if (!fragment) return '';
  const parts: string[] = [];
  const walk = (node: Y.XmlElement | Y.XmlText | Y.XmlFragment) => {
    if (node instanceof Y.XmlText) parts.push(node.toString().replace(/<[^>]+>/g, ''));
    else {
      node.toArray().forEach((child) => walk(child as Y.XmlElement | Y.XmlText));
      if (node instanceof Y.XmlElement) parts.push('\n');
    }
  };
  walk(fragment);
  return parts.join('').replace(/\n+$/, '');
}

export function readBoard(doc: Y.Doc): BoardState {
  const lanes = readLanes(doc);
  const notes: Record<string, string> = {};
  notesMap(doc).forEach((f, id) => {
    const text = noteText(f);
    if (text) notes[id] = text;
  });
  const comments: Record<string, Comment[]> = {};
  commentsMap(doc).forEach((_, id) => {
    const list = readComments(doc, id);
    if (list.length) comments[id] = list;
  });
  return { lanes, cards: readCards(doc, lanes), notes, comments };
}

// ── Mutations (each one transaction) ──────────────────────────────────────

/** Creates the default lanes when the board has none. Idempotent, also when two nodes do it at once (fixed ids). */
export function ensureLanes(doc: Y.Doc, origin?: unknown): boolean {
  const lanes = lanesMap(doc);
  if (lanes.size > 0) return false;
  const keys = generateNKeysBetween(null, null, DEFAULT_LANES.length);
  doc.transact(() => {
    DEFAULT_LANES.forEach((l, i) => lanes.set(l.id, new Y.Map<unknown>([['name', l.name], ['pos', keys[i]]])));
  }, origin);
  return true;
}

function lastPosIn(doc: Y.Doc, laneId: string): string | null {
  let last: string | null = null;
  cardsMap(doc).forEach((m) => {
    if (m.get('lane') === laneId) {
      const p = String(m.get('pos') ?? '');
      if (last === null || p > last) last = p;
    }
  });
  return last;
}

/**
 * Adds cards for molecules not on the board yet, at the end of `laneId`
 * (default: the first lane). Returns the ids actually added.
 */
export function addCards(
  doc: Y.Doc,
  moleculeIds: readonly string[],
  opts: { laneId?: string; userId?: string | null; at?: string } = {},
  origin?: unknown
): string[] {
  const cards = cardsMap(doc);
  const fresh = [...new Set(moleculeIds)].filter((id) => !cards.has(id));
  if (!fresh.length) return [];
  doc.transact(() => {
    ensureLanes(doc, origin);
    const laneId = opts.laneId && lanesMap(doc).has(opts.laneId) ? opts.laneId : readLanes(doc)[0].id;
    const keys = generateNKeysBetween(lastPosIn(doc, laneId), null, fresh.length);
    const at = opts.at ?? new Date().toISOString();
    fresh.forEach((id, i) => {
      cards.set(
        id,
        new Y.Map<unknown>([
          ['lane', laneId],
          ['pos', keys[i]],
          ['tags', new Y.Map<true>()],
          ['addedBy', opts.userId ?? null],
          ['addedAt', at]
        ])
      );
    });
  }, origin);
  return fresh;
}

/** Removes cards (and their notes and comments). Returns the ids that were on the board. */
export function removeCards(doc: Y.Doc, moleculeIds: readonly string[], origin?: unknown): string[] {
  const cards = cardsMap(doc);
  const present = moleculeIds.filter((id) => cards.has(id));
  if (!present.length) return [];
  doc.transact(() => {
    for (const id of present) {
      cards.delete(id);
      notesMap(doc).delete(id);
      commentsMap(doc).delete(id);
    }
  }, origin);
  return present;
}

/**
 * Moves a card into `laneId`, right below `afterId` or right above `beforeId`
 * (cards in that lane); neither = the end of the lane. The other neighbour is
 * looked up, so the card lands exactly there even if only one is given.
 */
export function moveCard(
  doc: Y.Doc,
  moleculeId: string,
  laneId: string,
  neighbours: { afterId?: string | null; beforeId?: string | null } = {},
  origin?: unknown
): boolean {
  const card = cardsMap(doc).get(moleculeId);
  if (!card || !lanesMap(doc).has(laneId)) return false;
  const lane = readCards(doc).filter((c) => c.lane === laneId && c.moleculeId !== moleculeId);
  const at = (id: string | null | undefined) => (id ? lane.findIndex((c) => c.moleculeId === id) : -1);
  let index: number; // the card goes before lane[index]
  if (at(neighbours.afterId) >= 0) index = at(neighbours.afterId) + 1;
  else if (at(neighbours.beforeId) >= 0) index = at(neighbours.beforeId);
  else index = lane.length;
  const lo: string | null = lane[index - 1]?.pos ?? null;
  let hi: string | null = lane[index]?.pos ?? null;
  // Two cards sharing a key (concurrent drops at one spot): go just after the lower one.
  if (lo !== null && hi !== null && lo >= hi) hi = null;
  const pos = generateKeyBetween(lo, hi);
  doc.transact(() => {
    card.set('lane', laneId);
    card.set('pos', pos);
  }, origin);
  return true;
}

export function normalizeTag(tag: string): string {
  return tag.trim().replace(/\s+/g, ' ').slice(0, MAX_TAG_LENGTH);
}

export function setTag(doc: Y.Doc, moleculeId: string, tag: string, on: boolean, origin?: unknown): boolean {
  const card = cardsMap(doc).get(moleculeId);
  const t = normalizeTag(tag);
  if (!card || !t) return false;
  doc.transact(() => {
    let tags = card.get('tags');
    if (!(tags instanceof Y.Map)) {
      tags = new Y.Map<true>();
      card.set('tags', tags);
    }
    if (on) (tags as Y.Map<true>).set(t, true);
    else (tags as Y.Map<true>).delete(t);
  }, origin);
  return true;
}

/** The note of a card, created on first use (the editor binds to it). */
export function noteFragment(doc: Y.Doc, moleculeId: string, origin?: unknown): Y.XmlFragment {
  const notes = notesMap(doc);
  let f = notes.get(moleculeId);
  if (!f) {
    f = new Y.XmlFragment();
    const created = f;
    doc.transact(() => notes.set(moleculeId, created), origin);
  }
  return f;
}

/** Plain-text note content (paragraphs), used by tests, the API and restore of plain notes. */
export function setNoteText(doc: Y.Doc, moleculeId: string, text: string, origin?: unknown) {
  doc.transact(() => {
    const f = noteFragment(doc, moleculeId, origin);
    f.delete(0, f.length);
    const paragraphs = text.split('\n').map((line) => {
      const p = new Y.XmlElement('paragraph');
      if (line) p.insert(0, [new Y.XmlText(line)]);
      return p;
    });
    f.insert(0, paragraphs);
  }, origin);
}

/** `@[Name](userId)` marks a mention in comment text; this returns the user ids. */
export function mentionedUserIds(text: string): string[] {
  return [...new Set([...text.matchAll(/@\[[^\]]{1,100}\]\(([0-9a-f-]{36})\)/g)].map((m) => m[1]))];
}

export function addComment(
  doc: Y.Doc,
  moleculeId: string,
  comment: { id: string; authorId: string; authorName: string; text: string; at?: string },
  origin?: unknown
): Comment | null {
  const text = comment.text.trim().slice(0, MAX_COMMENT_LENGTH);
  if (!text || !cardsMap(doc).has(moleculeId)) return null;
  const full: Comment = { ...comment, text, mentions: mentionedUserIds(text), at: comment.at ?? new Date().toISOString() };
  doc.transact(() => {
    const all = commentsMap(doc);
    let list = all.get(moleculeId);
    if (!list) {
      list = new Y.Array<Y.Map<unknown>>();
      all.set(moleculeId, list);
    }
    list.push([new Y.Map<unknown>(Object.entries(full))]);
  }, origin);
  return full;
}

export function addLane(doc: Y.Doc, lane: { id: string; name: string }, origin?: unknown): boolean {
  const name = lane.name.trim().slice(0, MAX_LANE_NAME_LENGTH);
  const lanes = lanesMap(doc);
  if (!name || lanes.has(lane.id)) return false;
  const last = readLanes(doc).at(-1)?.pos ?? null;
  doc.transact(() => lanes.set(lane.id, new Y.Map<unknown>([['name', name], ['pos', generateKeyBetween(last, null)]])), origin);
  return true;
}

export function renameLane(doc: Y.Doc, laneId: string, name: string, origin?: unknown): boolean {
  const lane = lanesMap(doc).get(laneId);
  const n = name.trim().slice(0, MAX_LANE_NAME_LENGTH);
  if (!lane || !n) return false;
  doc.transact(() => lane.set('name', n), origin);
  return true;
}

/** Removes a lane; its cards move to the end of `intoLaneId` (default: the first other lane). */
export function removeLane(doc: Y.Doc, laneId: string, intoLaneId?: string, origin?: unknown): boolean {
  const lanes = readLanes(doc);
  if (!lanesMap(doc).has(laneId) || lanes.length < 2) return false;
  const into = intoLaneId && intoLaneId !== laneId && lanesMap(doc).has(intoLaneId) ? intoLaneId : lanes.find((l) => l.id !== laneId)!.id;
  doc.transact(() => {
    const moving = readCards(doc, lanes).filter((c) => c.lane === laneId);
    const keys = generateNKeysBetween(lastPosIn(doc, into), null, moving.length);
    moving.forEach((c, i) => {
      const m = cardsMap(doc).get(c.moleculeId)!;
      m.set('lane', into);
      m.set('pos', keys[i]);
    });
    lanesMap(doc).delete(laneId);
  }, origin);
  return true;
}

/** Moves a lane to sit between two others (ids; null = that end). */
export function moveLane(doc: Y.Doc, laneId: string, afterId: string | null, beforeId: string | null, origin?: unknown): boolean {
  const lane = lanesMap(doc).get(laneId);
  if (!lane) return false;
  const posOf = (id: string | null) => (id ? ((lanesMap(doc).get(id)?.get('pos') as string | undefined) ?? null) : null);
  const lo = posOf(afterId);
  let hi = posOf(beforeId);
  if (lo !== null && hi !== null && lo >= hi) hi = null;
  doc.transact(() => lane.set('pos', generateKeyBetween(lo, hi)), origin);
  return true;
}

/**
 * Makes `doc` show exactly what `source` shows (lanes, cards, tags, notes,
 * comments), as one change in `doc`. Used to restore an earlier version: the
 * restore is a new change on top of the current state, so nothing is
 * rewritten and it can itself be undone or restored.
 */
export function restoreBoard(doc: Y.Doc, source: Y.Doc, origin?: unknown) {
  doc.transact(() => {
    const sLanes = lanesMap(source);
    const dLanes = lanesMap(doc);
    for (const id of [...dLanes.keys()]) if (!sLanes.has(id)) dLanes.delete(id);
    sLanes.forEach((m, id) => {
      const d = dLanes.get(id);
      if (!d) dLanes.set(id, new Y.Map<unknown>([['name', m.get('name')], ['pos', m.get('pos')]]));
      else {
        if (d.get('name') !== m.get('name')) d.set('name', m.get('name'));
        if (d.get('pos') !== m.get('pos')) d.set('pos', m.get('pos'));
      }
    });

    const sCards = cardsMap(source);
    const dCards = cardsMap(doc);
    for (const id of [...dCards.keys()]) if (!sCards.has(id)) dCards.delete(id);
    sCards.forEach((m, id) => {
      const want = readCard(id, m);
      let d = dCards.get(id);
      if (!d) {
        d = new Y.Map<unknown>([['tags', new Y.Map<true>()], ['addedBy', want.addedBy], ['addedAt', want.addedAt]]);
        dCards.set(id, d);
      }
      if (d.get('lane') !== want.lane) d.set('lane', want.lane);
      if (d.get('pos') !== want.pos) d.set('pos', want.pos);
      let tags = d.get('tags');
      if (!(tags instanceof Y.Map)) {
        tags = new Y.Map<true>();
        d.set('tags', tags);
      }
      const t = tags as Y.Map<true>;
      for (const k of [...t.keys()]) if (!want.tags.includes(k)) t.delete(k);
      for (const k of want.tags) if (!t.has(k)) t.set(k, true);
    });

    const sNotes = notesMap(source);
    const dNotes = notesMap(doc);
    for (const id of [...dNotes.keys()]) if (!sNotes.has(id)) dNotes.delete(id);
    sNotes.forEach((f, id) => {
      const d = dNotes.get(id);
      if (d && d.toString() === f.toString()) return;
      const target = d ?? new Y.XmlFragment();
      if (!d) dNotes.set(id, target);
      target.delete(0, target.length);
      target.insert(0, f.toArray().map((n) => (n as Y.XmlElement | Y.XmlText).clone()));
    });

    const sComments = commentsMap(source);
    const dComments = commentsMap(doc);
    for (const id of [...dComments.keys()]) if (!sComments.has(id)) dComments.delete(id);
    sComments.forEach((arr, id) => {
      const want = arr.toArray().map((m) => String(m.get('id')));
      const d = dComments.get(id);
      const have = d?.toArray().map((m) => String(m.get('id'))) ?? [];
      if (want.length === have.length && want.every((w, i) => w === have[i])) return;
      const fresh = new Y.Array<Y.Map<unknown>>();
      fresh.push(arr.toArray().map((m) => new Y.Map<unknown>([...m.entries()])));
      dComments.set(id, fresh);
    });
  }, origin);
}

// ── Describing changes in words ───────────────────────────────────────────

export interface ChangeDescription {
  /** e.g. `moved CX-000012 from Make to Test` (the actor's name is put in front by the reader). */
  text: string;
  kind: 'card.added' | 'card.removed' | 'card.moved' | 'card.reordered' | 'tag.added' | 'tag.removed' | 'note.edited' | 'comment.added' | 'lane.added' | 'lane.removed' | 'lane.renamed' | 'lane.moved';
  moleculeId?: string;
  /** comment.added: the users it mentions. */
  mentions?: string[];
  commentId?: string;
}

/**
 * What changed between two states, in words. `label(moleculeId)` gives a
 * molecule's registry number or name. Many cards added/removed at once are
 * summarised in one line.
 */
export function describeChanges(before: BoardState, after: BoardState, label: (moleculeId: string) => string): ChangeDescription[] {
  const out: ChangeDescription[] = [];
  const laneName = (state: BoardState, id: string) => state.lanes.find((l) => l.id === id)?.name ?? id;
  const bLanes = new Map(before.lanes.map((l) => [l.id, l]));
  const aLanes = new Map(after.lanes.map((l) => [l.id, l]));
  for (const l of after.lanes) {
    const was = bLanes.get(l.id);
    if (!was) out.push({ kind: 'lane.added', text: `added the lane ${l.name}` });
    else if (was.name !== l.name) out.push({ kind: 'lane.renamed', text: `renamed the lane ${was.name} to ${l.name}` });
    else if (was.pos !== l.pos) out.push({ kind: 'lane.moved', text: `moved the lane ${l.name}` });
  }
  for (const l of before.lanes) if (!aLanes.has(l.id)) out.push({ kind: 'lane.removed', text: `removed the lane ${l.name}` });

  const bCards = new Map(before.cards.map((c) => [c.moleculeId, c]));
  const aCards = new Map(after.cards.map((c) => [c.moleculeId, c]));
  const added = after.cards.filter((c) => !bCards.has(c.moleculeId));
  const removed = before.cards.filter((c) => !aCards.has(c.moleculeId));
  const many = (n: number, what: string) => `${n.toLocaleString('en')} ${what}`;
  if (added.length === 1) out.push({ kind: 'card.added', moleculeId: added[0].moleculeId, text: `added ${label(added[0].moleculeId)} to ${laneName(after, added[0].lane)}` });
  else if (added.length > 1) out.push({ kind: 'card.added', text: `added ${many(added.length, 'molecules')}` });
  if (removed.length === 1) out.push({ kind: 'card.removed', moleculeId: removed[0].moleculeId, text: `removed ${label(removed[0].moleculeId)}` });
  else if (removed.length > 1) out.push({ kind: 'card.removed', text: `removed ${many(removed.length, 'molecules')}` });

  for (const c of after.cards) {
    const was = bCards.get(c.moleculeId);
    if (!was) continue;
    if (was.lane !== c.lane) {
      out.push({ kind: 'card.moved', moleculeId: c.moleculeId, text: `moved ${label(c.moleculeId)} from ${laneName(before, was.lane)} to ${laneName(after, c.lane)}` });
    } else if (was.pos !== c.pos) {
      out.push({ kind: 'card.reordered', moleculeId: c.moleculeId, text: `reordered ${label(c.moleculeId)} in ${laneName(after, c.lane)}` });
    }
    for (const t of c.tags) if (!was.tags.includes(t)) out.push({ kind: 'tag.added', moleculeId: c.moleculeId, text: `tagged ${label(c.moleculeId)} “${t}”` });
    for (const t of was.tags) if (!c.tags.includes(t)) out.push({ kind: 'tag.removed', moleculeId: c.moleculeId, text: `removed the tag “${t}” from ${label(c.moleculeId)}` });
  }
  const noteIds = new Set([...Object.keys(before.notes), ...Object.keys(after.notes)]);
  for (const id of noteIds) {
    if ((before.notes[id] ?? '') !== (after.notes[id] ?? '') && aCards.has(id)) out.push({ kind: 'note.edited', moleculeId: id, text: `edited the note on ${label(id)}` });
  }
  for (const [id, list] of Object.entries(after.comments)) {
    const seen = new Set((before.comments[id] ?? []).map((c) => c.id));
    for (const c of list) {
      if (!seen.has(c.id)) out.push({ kind: 'comment.added', moleculeId: id, commentId: c.id, mentions: c.mentions, text: `commented on ${label(id)}` });
    }
  }
  return out;
}
