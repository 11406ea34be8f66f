import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addCards,
  addComment,
  addLane,
  describeChanges,
  ensureLanes,
  mentionedUserIds,
  moveCard,
  readBoard,
  readCards,
  removeLane,
  renameLane,
  restoreBoard,
  setNoteText,
  setTag
} from './board';

/** Two replicas that exchange updates on demand, like two browsers with a delayed network. */
function pair() {
  const a = new Y.Doc();
  const b = new Y.Doc();
  const sync = () => {
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
  };
  return { a, b, sync };
}

const ids = ['m1', 'm2', 'm3', 'm4'];
const order = (d: Y.Doc) => readCards(d).map((c) => `${c.lane}:${c.moleculeId}`);

describe('board document', () => {
  it('creates default lanes once, even when two replicas do it concurrently', () => {
    const { a, b, sync } = pair();
    ensureLanes(a);
    ensureLanes(b);
    sync();
    expect(readBoard(a).lanes.map((l) => l.name)).toEqual(['Ideas', 'Make', 'Test', 'Advance', 'Drop']);
    expect(readBoard(b).lanes).toEqual(readBoard(a).lanes);
  });

  it('moves cards between and within lanes exactly where dropped', () => {
    const d = new Y.Doc();
    addCards(d, ids);
    expect(order(d)).toEqual(['ideas:m1', 'ideas:m2', 'ideas:m3', 'ideas:m4']);
    moveCard(d, 'm4', 'ideas', { afterId: 'm1' });
    expect(order(d)).toEqual(['ideas:m1', 'ideas:m4', 'ideas:m2', 'ideas:m3']);
    moveCard(d, 'm2', 'test');
    moveCard(d, 'm3', 'test', { beforeId: 'm2' });
    expect(order(d)).toEqual(['ideas:m1', 'ideas:m4', 'test:m3', 'test:m2']);
    expect(moveCard(d, 'nope', 'test')).toBe(false);
    expect(moveCard(d, 'm1', 'no-such-lane')).toBe(false);
  });

  it('merges concurrent moves and tags without losing or duplicating a card', () => {
    const { a, b, sync } = pair();
    addCards(a, ids);
    sync();
    moveCard(a, 'm1', 'make');
    moveCard(b, 'm1', 'test'); // same card, two places: one wins everywhere
    moveCard(b, 'm2', 'make', { afterId: 'm1' });
    setTag(a, 'm3', 'potent', true);
    setTag(b, 'm3', 'soluble', true);
    sync();
    expect(order(a)).toEqual(order(b));
    expect(readCards(a)).toHaveLength(4);
    expect(readCards(a).find((c) => c.moleculeId === 'm3')!.tags).toEqual(['potent', 'soluble']);
  });

  it('two people dropping at the same spot get one order on every replica', () => {
    const { a, b, sync } = pair();
    addCards(a, ids);
    sync();
    moveCard(a, 'm3', 'ideas', { afterId: 'm1' });
    moveCard(b, 'm4', 'ideas', { afterId: 'm1' });
    sync();
    expect(order(a)).toEqual(order(b));
    // Dropping between two cards that share a key still lands between distinct neighbours.
    moveCard(a, 'm2', 'ideas', { afterId: readCards(a)[1].moleculeId });
    expect(readCards(a)).toHaveLength(4);
  });

  it('removing a lane moves its cards to another lane; a card in a lane removed concurrently shows in the first lane', () => {
    const { a, b, sync } = pair();
    addCards(a, ids);
    sync();
    moveCard(a, 'm1', 'drop');
    removeLane(b, 'drop');
    sync();
    expect(readBoard(a).lanes.map((l) => l.id)).not.toContain('drop');
    expect(readCards(a).find((c) => c.moleculeId === 'm1')!.lane).toBe('ideas');
  });

  it('undo takes back only your own changes, even after someone else edited on top', () => {
    const { a, b, sync } = pair();
    addCards(a, ids);
    sync();
    const mine = { user: 'ana' };
    const undo = new Y.UndoManager([a.getMap('lanes'), a.getMap('cards'), a.getMap('comments')], { trackedOrigins: new Set([mine]), captureTimeout: 0 });
    moveCard(a, 'm1', 'test', {}, mine);
    sync();
    moveCard(b, 'm2', 'make'); // Ben, on his replica
    setTag(b, 'm1', 'ben-was-here', true);
    sync();
    undo.undo();
    sync();
    for (const d of [a, b]) {
      const c = Object.fromEntries(readCards(d).map((x) => [x.moleculeId, x]));
      expect(c.m1.lane).toBe('ideas'); // Ana's move undone
      expect(c.m2.lane).toBe('make'); // Ben's move kept
      expect(c.m1.tags).toEqual(['ben-was-here']); // and his tag on the card Ana moved
    }
    undo.redo();
    expect(readCards(a).find((c) => c.moleculeId === 'm1')!.lane).toBe('test');
  });

  it('describes changes in words', () => {
    const d = new Y.Doc();
    addCards(d, ['m1', 'm2']);
    const label = (id: string) => ({ m1: 'CX-000001', m2: 'CX-000002' })[id] ?? id;
    const before = readBoard(d);
    moveCard(d, 'm1', 'test');
    setTag(d, 'm2', 'hit', true);
    setNoteText(d, 'm2', 'Looks clean');
    addComment(d, 'm2', { id: 'c1', authorId: 'u1', authorName: 'Ana', text: 'Nice @[Ben](11111111-2222-3333-4444-555555555555)' });
    renameLane(d, 'make', 'Synthesis');
    addLane(d, { id: 'l6', name: 'Parked' });
    const words = describeChanges(before, readBoard(d), label).map((c) => c.text);
    expect(words).toEqual([
      'renamed the lane Make to Synthesis',
      'added the lane Parked',
      'tagged CX-000002 “hit”',
      'moved CX-000001 from Ideas to Test',
      'edited the note on CX-000002',
      'commented on CX-000002'
    ]);
    expect(mentionedUserIds('hi @[Ben](11111111-2222-3333-4444-555555555555)')).toEqual(['11111111-2222-3333-4444-555555555555']);
  });

  it('restores an earlier version completely, as one new change on top', () => {
    const d = new Y.Doc();
    addCards(d, ['m1', 'm2']);
    setTag(d, 'm1', 'keep', true);
    setNoteText(d, 'm1', 'first note');
    const then = new Y.Doc();
    Y.applyUpdate(then, Y.encodeStateAsUpdate(d));
    const wanted = readBoard(then);

    moveCard(d, 'm1', 'drop');
    setTag(d, 'm1', 'keep', false);
    setNoteText(d, 'm1', 'rewritten');
    addCards(d, ['m3']);
    addComment(d, 'm2', { id: 'c', authorId: 'u', authorName: 'U', text: 'later' });
    renameLane(d, 'ideas', 'Backlog');

    let transactions = 0;
    d.on('afterTransaction', () => transactions++);
    restoreBoard(d, then);
    expect(transactions).toBe(1);
    expect(readBoard(d)).toEqual(wanted);
  });
});
