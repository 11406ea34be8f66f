import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addCards,
  addComment,
  addLane,
  ensureLanes,
  moveCard,
  removeCards,
  removeLane,
  renameLane,
  setNoteText,
  setTag
} from '$common/board';
import { CardIndex, FULL_REBUILD_AT, type IndexChange } from './card-index';

/** A board with the default lanes and `ideas` cards a, b, c and a `make` card m. */
function board() {
  const doc = new Y.Doc();
  ensureLanes(doc);
  addCards(doc, ['a', 'b', 'c'], { laneId: 'ideas', userId: 'u1' });
  addCards(doc, ['m'], { laneId: 'make', userId: 'u1' });
  return doc;
}

/** An index following `doc`, with every change it reported after the first read. */
function follow(doc: Y.Doc) {
  const index = new CardIndex(doc);
  const changes: IndexChange[] = [];
  const first = index.follow((c) => changes.push(c));
  return { index, first, changes, last: () => changes.at(-1)! };
}

describe('CardIndex', () => {
  it('reads the whole board once it is followed, lane by lane in board order', () => {
    const doc = board();
    const { index, first } = follow(doc);
    expect(index.lanes.map((l) => l.id)).toEqual(['ideas', 'make', 'test', 'advance', 'drop']);
    expect(index.laneCards).toEqual({ ideas: ['a', 'b', 'c'], make: ['m'], test: [], advance: [], drop: [] });
    expect(index.allIds()).toEqual(['a', 'b', 'c', 'm']);
    expect(index.size).toBe(4);
    expect(index.card('a')).toMatchObject({ moleculeId: 'a', lane: 'ideas', tags: [], addedBy: 'u1' });
    expect(first).toMatchObject({ lanes: true, laneCards: true, cards: true, meta: true });
    expect(first.added.sort()).toEqual(['a', 'b', 'c', 'm']);
  });

  it('re-sorts only the lanes a move touched and keeps every other lane and card object as it was', () => {
    const doc = board();
    const { index, last } = follow(doc);
    const before = index.laneCards;
    const cardB = index.card('b');
    const cardM = index.card('m');
    moveCard(doc, 'a', 'make', { beforeId: 'm' });
    expect(index.laneCards.ideas).toEqual(['b', 'c']);
    expect(index.laneCards.make).toEqual(['a', 'm']);
    expect(index.laneCards).not.toBe(before);
    for (const lane of ['test', 'advance', 'drop']) expect(index.laneCards[lane]).toBe(before[lane]);
    expect(index.card('b')).toBe(cardB);
    expect(index.card('m')).toBe(cardM);
    expect(index.laneOf('a')).toBe('make');
    expect(last()).toMatchObject({ lanes: false, laneCards: true, cards: true, added: [], removed: [] });
  });

  it('replaces a card whose tags change without touching the lane order, and counts tags', () => {
    const doc = board();
    const { index, last } = follow(doc);
    const order = index.laneCards;
    const cardA = index.card('a');
    setTag(doc, 'a', 'potent', true);
    setTag(doc, 'b', 'potent', true);
    setTag(doc, 'b', 'soluble', true);
    expect(index.card('a')).not.toBe(cardA);
    expect(index.card('a')!.tags).toEqual(['potent']);
    expect(index.laneCards).toBe(order);
    expect(last()).toMatchObject({ laneCards: false, cards: true });
    expect(index.allTags()).toEqual(['potent', 'soluble']);
  });

  it('reports cards that arrive from another client as added, and removed ones as removed', () => {
    const doc = board();
    const { index, last } = follow(doc);
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    other.on('update', (u: Uint8Array) => Y.applyUpdate(doc, u, 'remote'));
    addCards(other, ['x'], { laneId: 'test' });
    expect(last().added).toEqual(['x']);
    expect(index.laneCards.test).toEqual(['x']);
    removeCards(other, ['b']);
    expect(last().removed).toEqual(['b']);
    expect(index.card('b')).toBeUndefined();
    expect(index.has('b')).toBe(false);
    expect(index.laneCards.ideas).toEqual(['a', 'c']);
  });

  it('follows lanes: a rename changes only the lanes, a new lane gets its list, cards of a lane removed elsewhere show in the first lane', () => {
    const doc = board();
    const { index, last } = follow(doc);
    const order = index.laneCards;
    renameLane(doc, 'make', 'Synthesise');
    expect(index.lanes.find((l) => l.id === 'make')?.name).toBe('Synthesise');
    expect(last()).toMatchObject({ lanes: true, laneCards: false, cards: false });
    expect(index.laneCards).toBe(order);

    addLane(doc, { id: 'later', name: 'Later' });
    expect(index.lanes.at(-1)?.id).toBe('later');
    expect(index.laneCards.later).toEqual([]);

    // A client that never saw the cards moved deletes the lane (removeLane here would move them itself).
    doc.transact(() => doc.getMap('lanes').delete('make'));
    expect(index.lanes.map((l) => l.id)).not.toContain('make');
    expect(index.laneOf('m')).toBe('ideas');
    // By position, then id: m was first in its lane, as a is in ideas.
    expect(index.laneCards.ideas).toEqual(['a', 'm', 'b', 'c']);
    expect(removeLane(doc, 'test', 'ideas')).toBe(true);
    expect(index.lanes.map((l) => l.id)).toEqual(['ideas', 'advance', 'drop', 'later']);
  });

  it('counts comments and notes per card', () => {
    const doc = board();
    const { index, last } = follow(doc);
    addComment(doc, 'a', { id: 'c1', authorId: 'u1', authorName: 'Una', text: 'first' });
    addComment(doc, 'a', { id: 'c2', authorId: 'u1', authorName: 'Una', text: 'second' });
    expect(index.commentCount('a')).toBe(2);
    expect(index.commentCount('b')).toBe(0);
    expect(last()).toMatchObject({ meta: true, cards: false });
    setNoteText(doc, 'b', 'make the methyl ester');
    expect(index.hasNote('b')).toBe(true);
    setNoteText(doc, 'b', '   ');
    expect(index.hasNote('b')).toBe(false);
    removeCards(doc, ['a']);
    expect(index.commentCount('a')).toBe(0);
  });

  it(`re-reads everything when one change touches more than ${FULL_REBUILD_AT} cards, still keeping untouched lanes`, () => {
    const doc = board();
    const { index, last } = follow(doc);
    const make = index.laneCards.make;
    const ids = Array.from({ length: FULL_REBUILD_AT + 1 }, (_, i) => `n${String(i).padStart(4, '0')}`);
    addCards(doc, ids, { laneId: 'drop' });
    expect(index.laneCards.drop).toEqual(ids);
    expect(index.laneCards.make).toBe(make);
    expect(last().added).toHaveLength(ids.length);
    expect(index.size).toBe(4 + ids.length);
  });

  it('stops following when asked', () => {
    const doc = board();
    const { index, changes } = follow(doc);
    index.stop();
    moveCard(doc, 'a', 'make');
    expect(changes).toEqual([]);
    expect(index.laneOf('a')).toBe('ideas');
  });
});
