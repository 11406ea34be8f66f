import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { creditByClientOwner, isEmptyUpdate, structClientIds } from './authorship';

/** A doc with a fixed client id, so owners can be told apart. */
function docOf(clientID: number) {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  return doc;
}

const ANA = 'ana';
const BEN = 'ben';

/** Ana (client 11) adds two cards and removes one; Ben (client 22) received them. */
function anaThenBen() {
  const ana = docOf(11);
  ana.getMap('cards').set('a', 'ideas');
  ana.getMap('cards').set('b', 'ideas');
  ana.getArray('list').insert(0, ['x', 'y']);
  const ben = docOf(22);
  Y.applyUpdate(ben, Y.encodeStateAsUpdate(ana));
  return { ana, ben };
}

const owners = new Map<number, string>([
  [11, ANA],
  [22, BEN]
]);

describe('structClientIds', () => {
  it('names the client ids of an update, one or many', () => {
    const { ana, ben } = anaThenBen();
    expect(structClientIds(Y.encodeStateAsUpdate(ana))).toEqual([11]);
    ben.getMap('cards').set('a', 'make');
    expect(structClientIds(Y.encodeStateAsUpdate(ben)).sort()).toEqual([11, 22]);
    expect(structClientIds(Y.encodeStateAsUpdate(new Y.Doc()))).toEqual([]);
    expect(isEmptyUpdate(Y.encodeStateAsUpdate(new Y.Doc()))).toBe(true);
  });
});

describe('creditByClientOwner', () => {
  it('credits a resend of someone else’s edits to them, and the sender’s own to the sender', () => {
    const { ben } = anaThenBen();
    ben.getMap('cards').set('c', 'test');
    ben.getArray('list').delete(0, 1);
    // What Ben sends a server that lost everything: Ana's edits and his own.
    const resend = Y.encodeStateAsUpdate(ben);
    const parts = creditByClientOwner(resend, BEN, (c) => owners.get(c));
    expect(parts.map((p) => p.userId)).toEqual([ANA, BEN]);
    expect(structClientIds(parts[0].update)).toEqual([11]);
    expect(structClientIds(parts[1].update)).toEqual([22]);
    // The delete set travels once, with the sender's part.
    expect(Y.decodeUpdate(parts[0].update).ds.clients.size).toBe(0);
    expect(Y.decodeUpdate(parts[1].update).ds.clients.size).toBeGreaterThan(0);

    // Applied in order, the parts are the whole resend; Ana's part alone is Ana's board.
    const replay = new Y.Doc();
    for (const p of parts) Y.applyUpdate(replay, p.update);
    expect(replay.getMap('cards').toJSON()).toEqual({ a: 'ideas', b: 'ideas', c: 'test' });
    expect(replay.getArray('list').toJSON()).toEqual(['y']);
    // (What Ben deleted reaches a resend without its content: Ana's part has the card, not the text.)
    const anaOnly = new Y.Doc();
    Y.applyUpdate(anaOnly, parts[0].update);
    expect(anaOnly.getMap('cards').toJSON()).toEqual({ a: 'ideas', b: 'ideas' });
  });

  it('gives the delete set to the last owner when the sender wrote nothing of its own', () => {
    const ana = docOf(11);
    ana.getArray('list').insert(0, ['x', 'y']);
    ana.getArray('list').delete(0, 1);
    const ben = docOf(22);
    Y.applyUpdate(ben, Y.encodeStateAsUpdate(ana));
    const parts = creditByClientOwner(Y.encodeStateAsUpdate(ben), BEN, (c) => owners.get(c));
    expect(parts.map((p) => p.userId)).toEqual([ANA]);
    const replay = new Y.Doc();
    Y.applyUpdate(replay, parts[0].update);
    expect(replay.getArray('list').toJSON()).toEqual(['y']);
  });

  it('credits the sender for its own and for client ids nobody owns, in one part', () => {
    const { ana } = anaThenBen();
    const update = Y.encodeStateAsUpdate(ana);
    expect(creditByClientOwner(update, ANA, (c) => owners.get(c))).toEqual([{ userId: ANA, update }]);
    expect(creditByClientOwner(update, BEN, () => undefined)).toEqual([{ userId: BEN, update }]);
  });
});
