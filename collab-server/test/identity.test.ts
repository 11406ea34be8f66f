/**
 * Identity is the server's (core/client-messages.ts), and cookies are accepted only
 * from the app's own origins: real providers on a library board try to forge
 * a server notice, another user's presence and another user's comment, and a
 * page on another port of the same host tries the victim's cookie.
 */
import { randomUUID } from 'node:crypto';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { OutgoingMessage } from '@hocuspocus/server';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { addCards, addComment, readComments } from '../../common/board';
import { parseCollabNotice, storedNotice } from '../../common/collab-notices';
import { libraries, libraryShares, molecules } from '../../db/schema';
import { cookieOriginAllowed, withDocument, type CollabServer } from '../server';
import {
  createMember,
  createOrganization,
  decodeState,
  storedRow,
  useHarness,
  waitForDoc,
  waitForEvent,
  type AuthOutcome,
  type TestClient
} from './fixtures';

const { db, h } = useHarness();

/** A board with one card, the sponsor owner, a CRO scientist (edit) and a CRO viewer (read). */
async function board(collab: CollabServer) {
  const sponsor = await createOrganization(db);
  const cro = await createOrganization(db, 'cro');
  const [owner, croUser, croViewer] = await Promise.all([
    createMember(db, sponsor.id, 'owner'),
    createMember(db, cro.id, 'scientist'),
    createMember(db, cro.id, 'viewer')
  ]);
  const [library] = await db.insert(libraries).values({ organizationId: sponsor.id, name: `Lib ${randomUUID().slice(0, 6)}`, createdBy: owner.user.id }).returning();
  await db.insert(libraryShares).values({ libraryId: library.id, organizationId: cro.id, access: 'edit' });
  const [molecule] = await db
    .insert(molecules)
    .values({
      organizationId: sponsor.id,
      registryNumber: Math.floor(Math.random() * 1e9),
      inchikey: `TEST${randomUUID()}`,
      inchi: 'InChI=1S/test',
      canonicalSmiles: 'CCO',
      formula: 'C2H6O',
      morganFp: new Uint8Array(256),
      patternFp: new Uint8Array(256)
    })
    .returning({ id: molecules.id });
  const name = `library:${library.id}`;
  await withDocument(collab, name, (doc) => addCards(doc, [molecule.id], { userId: owner.user.id }));
  return { owner, croUser, croViewer, name, moleculeId: molecule.id };
}

/** A board on a fresh server, with a synced client for each of `who`, in that order. */
async function openBoard(...who: Array<'owner' | 'croUser' | 'croViewer'>) {
  const collab = await h.startServer();
  const b = await board(collab);
  const clients = who.map((person) => h.connect(collab, b.name, b[person].token));
  await Promise.all(clients.map((c) => c.ready()));
  return { collab, b, clients };
}

const closedWith = (client: TestClient) => waitForEvent<{ event: { reason: string } }>(client.provider, 'close').then((e) => e.event.reason);

describe('notices come only from the server', () => {
  it('a read-only client broadcasting "stored" is closed and nobody receives it; the server’s own notice still arrives', async () => {
    const { collab, b, clients: [viewer, owner] } = await openBoard('croViewer', 'owner');
    const received: string[] = [];
    owner.provider.on('stateless', ({ payload }: { payload: string }) => received.push(payload));
    const rejected = waitForEvent(collab.events, 'messageRejected', (e) => e.reason === 'client-notice');

    const forged = storedNotice(new Date('2020-01-01T00:00:00Z'));
    const closing = closedWith(viewer);
    viewer.socket.send(new OutgoingMessage(b.name).writeBroadcastStateless(forged).toUint8Array());
    expect(await closing).toBe('client-notice');
    await rejected;

    // The honest path: the server's own `stored` after an edit reaches the owner.
    const stored = waitForEvent<{ payload: string }>(owner.provider, 'stateless', ({ payload }) => parseCollabNotice(payload)?.type === 'stored');
    owner.doc.getMap('probe').set('edit', 1);
    await stored;
    expect(received).not.toContain(forged);
  });

  it('a plain stateless message from a client is refused too', async () => {
    const { clients: [cro] } = await openBoard('croUser');
    const closing = closedWith(cro);
    cro.provider.sendStateless(storedNotice());
    expect(await closing).toBe('client-notice');
  });
});

describe('presence is the connection’s user', () => {
  it('presence naming another user is refused; the true user’s presence is shown', async () => {
    const { b, clients: [forger, honest, observer] } = await openBoard('croUser', 'croViewer', 'owner');
    const seenNames = new Set<string>();
    observer.provider.awareness!.on('change', () => {
      observer.provider.awareness!.getStates().forEach((s, clientId) => {
        if (clientId !== observer.doc.clientID && s.user?.name) seenNames.add(s.user.name);
      });
    });

    const closing = closedWith(forger);
    forger.provider.setAwarenessField('user', { id: b.owner.user.id, name: b.owner.user.name, color: '#000' });
    expect(await closing).toBe('forged-presence');

    const shown = waitForEvent(observer.provider.awareness!, 'change', () =>
      [...observer.provider.awareness!.getStates().values()].some((s) => s.user?.id === b.croViewer.user.id)
    );
    honest.provider.setAwarenessField('user', { id: b.croViewer.user.id, name: b.croViewer.user.name, color: '#111' });
    await shown;
    expect([...seenNames]).toEqual([b.croViewer.user.name]);
  });
});

describe('comment authors are the connection’s user', () => {
  it('a comment carrying another user’s id and name is refused, never seen or stored; an honest comment is', async () => {
    const { collab, b, clients: [forger, observer] } = await openBoard('croUser', 'owner');

    const closing = closedWith(forger);
    addComment(forger.doc, b.moleculeId, { id: 'forged', authorId: b.owner.user.id, authorName: b.owner.user.name, text: 'Approved. — the owner' });
    expect(await closing).toBe('forged-author');
    expect(readComments(collab.hocuspocus.documents.get(b.name)!, b.moleculeId)).toEqual([]);

    // Same user, honest this time (a fresh client: the forger's document holds the forged entry).
    const honest = h.connect(collab, b.name, b.croUser.token);
    await honest.ready();
    addComment(honest.doc, b.moleculeId, { id: 'honest', authorId: b.croUser.user.id, authorName: b.croUser.user.name, text: 'Synthesis next week' });
    await honest.acknowledged();
    await waitForDoc(observer.doc, (d) => readComments(d, b.moleculeId).length > 0);
    expect(readComments(observer.doc, b.moleculeId).map((c) => [c.id, c.authorId, c.authorName])).toEqual([['honest', b.croUser.user.id, b.croUser.user.name]]);

    await collab.flush();
    const stored = decodeState((await storedRow(db, b.name))!.state);
    expect(readComments(stored, b.moleculeId).map((c) => c.id)).toEqual(['honest']);
  });

  it('a name alone forged (own id, another name) is refused as well', async () => {
    const { b, clients: [forger] } = await openBoard('croUser');
    const closing = closedWith(forger);
    addComment(forger.doc, b.moleculeId, { id: 'renamed', authorId: b.croUser.user.id, authorName: b.owner.user.name, text: 'hi' });
    expect(await closing).toBe('forged-author');
  });

  it('resending comments the server already has (other people’s included) is not refused', async () => {
    const { collab, b, clients: [owner] } = await openBoard('owner');
    addComment(owner.doc, b.moleculeId, { id: 'by-owner', authorId: b.owner.user.id, authorName: b.owner.user.name, text: 'mine' });
    await owner.acknowledged();
    // The CRO's client holds the owner's comment and sends its whole state, as after a reconnect.
    const cro = h.connect(collab, b.name, b.croUser.token);
    await cro.ready();
    const replay = new Y.Doc();
    Y.applyUpdate(replay, Y.encodeStateAsUpdate(owner.doc));
    cro.socket.send(new OutgoingMessage(b.name).createSyncMessage().writeUpdate(Y.encodeStateAsUpdate(replay)).toUint8Array());
    addComment(cro.doc, b.moleculeId, { id: 'by-cro', authorId: b.croUser.user.id, authorName: b.croUser.user.name, text: 'ours' });
    await cro.acknowledged();
    await waitForDoc(owner.doc, (d) => readComments(d, b.moleculeId).some((c) => c.id === 'by-cro'));
  });
});

// ---- origin ------------------------------------------------------------------

/** A browser-like connection: token "cookie", the session cookie and an Origin header. */
function cookieClient(url: string, name: string, sessionToken: string, origin: string) {
  class BrowserSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers: { cookie: `crosslink_session=${sessionToken}`, origin } });
      this.on('error', () => {});
    }
  }
  const doc = new Y.Doc();
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: BrowserSocket, delay: 50, minDelay: 50, maxDelay: 500 });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name, document: doc, token: 'cookie' });
  const auth = new Promise<AuthOutcome>((resolve) => {
    provider.on('authenticated', ({ scope }: { scope: string }) => resolve({ ok: true, scope }));
    provider.on('authenticationFailed', ({ reason }: { reason: string }) => resolve({ ok: false, reason }));
  });
  provider.attach();
  return {
    doc,
    provider,
    auth,
    destroy() {
      socket.connect = async () => {};
      provider.destroy();
      socket.destroy();
    }
  };
}

describe('the session cookie is accepted from the app’s origins only', () => {
  const APP = 'http://localhost:3000';

  it('a page on another port of the same host is refused with a valid cookie (cross-site WebSocket hijacking); the app’s page works', async () => {
    const collab = await h.startServer({ allowedOrigins: [APP] });
    const b = await board(collab);
    const attacker = cookieClient(collab.url, b.name, b.owner.token, 'http://localhost:8999');
    const app = cookieClient(collab.url, b.name, b.owner.token, APP);
    try {
      expect(await attacker.auth).toEqual({ ok: false, reason: 'unauthenticated' });
      expect(await app.auth).toEqual({ ok: true, scope: 'read-write' });
      await waitForEvent(app.provider, 'synced');
      expect(app.doc.getMap('cards').has(b.moleculeId)).toBe(true);
      expect(attacker.doc.getMap('cards').size).toBe(0);
    } finally {
      attacker.destroy();
      app.destroy();
    }
  });

  it('compares whole origins: scheme, host and port', () => {
    const allowed = [APP, 'https://crosslink.example'];
    expect(cookieOriginAllowed(APP, allowed)).toBe(true);
    expect(cookieOriginAllowed('https://crosslink.example', allowed)).toBe(true);
    for (const origin of [undefined, '', 'null', 'http://localhost:8999', 'https://localhost:3000', 'http://127.0.0.1:3000', 'http://crosslink.example', 'https://crosslink.example.evil.test']) {
      expect(cookieOriginAllowed(origin, allowed)).toBe(false);
    }
  });
});
