import { OutgoingMessage } from '@hocuspocus/server';
import { describe, expect, it } from 'vitest';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { addCards, addComment } from '../../common/board';
import { refuseClientMessage } from './client-messages';

const NAME = 'library:00000000-0000-0000-0000-000000000001';
const ana = { userId: '11111111-1111-1111-1111-111111111111', userName: 'Ana' };
const ben = { userId: '22222222-2222-2222-2222-222222222222', userName: 'Ben' };

function updateMessage(update: Uint8Array) {
  return new OutgoingMessage(NAME).createSyncMessage().writeUpdate(update).toUint8Array();
}
function presenceMessage(state: Record<string, unknown> | null) {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  awareness.setLocalState(state);
  const message = new OutgoingMessage(NAME).createAwarenessUpdateMessage(awareness).toUint8Array();
  awareness.destroy();
  return message;
}
/** A board with one card, and a client's update adding a comment to it. */
function commentUpdate(author: { id: string; name: string }) {
  const server = new Y.Doc();
  addCards(server, ['m1'], { userId: ana.userId });
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  const before = Y.encodeStateVector(client);
  addComment(client, 'm1', { id: 'c1', authorId: author.id, authorName: author.name, text: 'hello' });
  return { server, client, update: Y.encodeStateAsUpdate(client, before) };
}

describe('refuseClientMessage', () => {
  it('refuses stateless messages from clients, broadcast or not', () => {
    const doc = new Y.Doc();
    expect(refuseClientMessage(new OutgoingMessage(NAME).writeBroadcastStateless('{"type":"stored","at":"x"}').toUint8Array(), doc, ana)).toBe('client-notice');
    expect(refuseClientMessage(new OutgoingMessage(NAME).writeStateless('anything').toUint8Array(), doc, null)).toBe('client-notice');
  });

  it('accepts presence naming the connection’s user or no user, refuses anyone else', () => {
    const doc = new Y.Doc();
    expect(refuseClientMessage(presenceMessage({ user: { id: ana.userId, name: 'Ana', color: '#123' }, cursor: null }), doc, ana)).toBeNull();
    expect(refuseClientMessage(presenceMessage({ cursor: { x: 1, y: 2 } }), doc, ana)).toBeNull();
    expect(refuseClientMessage(presenceMessage(null), doc, ana)).toBeNull();
    expect(refuseClientMessage(presenceMessage({ user: { id: ben.userId, name: 'Ben' } }), doc, ana)).toBe('forged-presence');
    expect(refuseClientMessage(presenceMessage({ user: { id: ana.userId, name: 'Ben' } }), doc, ana)).toBe('forged-presence');
    expect(refuseClientMessage(presenceMessage({ user: 'Ana' }), doc, ana)).toBe('forged-presence');
  });

  it('accepts a comment by the connection’s user, refuses one credited to someone else', () => {
    const honest = commentUpdate({ id: ana.userId, name: 'Ana' });
    expect(refuseClientMessage(updateMessage(honest.update), honest.server, ana)).toBeNull();
    const forged = commentUpdate({ id: ben.userId, name: 'Ben' });
    expect(refuseClientMessage(updateMessage(forged.update), forged.server, ana)).toBe('forged-author');
  });

  it('does not judge entries the document already holds (a resend after reconnect)', () => {
    const byBen = commentUpdate({ id: ben.userId, name: 'Ben' });
    Y.applyUpdate(byBen.server, byBen.update);
    expect(refuseClientMessage(updateMessage(Y.encodeStateAsUpdate(byBen.client)), byBen.server, ana)).toBeNull();
  });

  it('refuses updates that do not decode', () => {
    const { server, update } = commentUpdate({ id: ana.userId, name: 'Ana' });
    expect(refuseClientMessage(updateMessage(update.slice(0, update.length - 3)), server, ana)).toBe('corrupt-update');
  });
});

describe('refuseClientMessage and echoed presence', () => {
  it('lets a provider echo another user’s state the server already holds, refuses a newer one', () => {
    const doc = new Y.Doc();
    const bens = new Awareness(new Y.Doc());
    bens.setLocalState({ user: { id: ben.userId, name: 'Ben' } });
    const serverAwareness = new Awareness(doc);
    const live = Object.assign(doc, { awareness: serverAwareness });
    const echo = new OutgoingMessage(NAME).createAwarenessUpdateMessage(bens).toUint8Array();
    expect(refuseClientMessage(echo, live, ana)).toBe('forged-presence');
    // Once the server has Ben's state at that clock, Ana's provider echoing it back is harmless.
    serverAwareness.meta.set(bens.clientID, { clock: bens.meta.get(bens.clientID)!.clock, lastUpdated: Date.now() });
    expect(refuseClientMessage(echo, live, ana)).toBeNull();
    bens.setLocalStateField('user', { id: ben.userId, name: 'Ana' });
    expect(refuseClientMessage(new OutgoingMessage(NAME).createAwarenessUpdateMessage(bens).toUint8Array(), live, ana)).toBe('forged-presence');
    bens.destroy();
    serverAwareness.destroy();
  });
});
