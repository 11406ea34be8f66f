/**
 * Live behaviour over real WebSockets: convergence, authentication and
 * authorisation, read-only viewers, message guards, server-side edits and
 * multi-node sync through Redis.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { IncomingMessage, MessageType, OutgoingMessage } from '@hocuspocus/server';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { AppError } from '../../common/errors';
import { withDocument, SYSTEM_ACTOR, type CollabContext } from '../server';
import {
  createMember,
  createMemberApiToken,
  createOrganization,
  decodeState,
  storedRow,
  useHarness,
  waitForDoc,
  waitForEvent,
  type TestClient
} from './fixtures';
import { memberships } from '../../db/schema';

const { db, h } = useHarness();

const text = (doc: Y.Doc) => doc.getText('notes').toString();
const meta = (doc: Y.Doc) => doc.getMap<unknown>('meta');

/**
 * Resolves when the server tells this client it did NOT apply an update
 * (SyncStatus 0, sent to read-only connections). Earlier `true` statuses, e.g.
 * for the initial sync, may still be in flight and are skipped.
 */
function updateRefused(client: TestClient): Promise<void> {
  return waitForEvent<{ event: { data: ArrayBuffer } }>(client.provider, 'message', ({ event }) => {
    const m = new IncomingMessage(event.data);
    return m.readVarString() === client.name && m.readVarUint() === MessageType.SyncStatus && m.readVarUint() === 0;
  }).then(() => undefined);
}

async function orgWithMembers() {
  const org = await createOrganization(db);
  const [editorA, editorB, viewer] = await Promise.all([
    createMember(db, org.id, 'scientist'),
    createMember(db, org.id, 'owner'),
    createMember(db, org.id, 'viewer')
  ]);
  return { org, name: `organization:${org.id}`, editorA, editorB, viewer };
}

describe('organization documents', () => {
  it('two editors converge on concurrent edits (Y.Text and Y.Map)', async () => {
    const { name, editorA, editorB } = await orgWithMembers();
    const collab = await h.startServer();
    const a = h.connect(collab, name, editorA.token);
    const b = h.connect(collab, name, editorB.token);
    await Promise.all([a.ready(), b.ready()]);
    expect(await a.auth).toEqual({ ok: true, scope: 'read-write' });

    // Same tick: neither has seen the other's edits.
    a.doc.getText('notes').insert(0, 'alpha ');
    meta(a.doc).set('title', 'from A');
    b.doc.getText('notes').insert(0, 'beta ');
    meta(b.doc).set('title', 'from B');
    meta(b.doc).set('owner', 'B');

    const complete = (d: Y.Doc) => text(d).includes('alpha') && text(d).includes('beta') && meta(d).get('owner') === 'B';
    await Promise.all([waitForDoc(a.doc, complete), waitForDoc(b.doc, complete)]);
    await Promise.all([a.acknowledged(), b.acknowledged()]);
    // Each side's own edits are acknowledged; the other side's last update (a title set in a
    // message of its own) may still be on its way: wait until both hold the same updates.
    await vi.waitFor(() => expect(Y.encodeStateVector(a.doc)).toEqual(Y.encodeStateVector(b.doc)), { timeout: 5_000 });

    expect(text(a.doc)).toBe(text(b.doc));
    expect(meta(a.doc).toJSON()).toEqual(meta(b.doc).toJSON());
    expect(['from A', 'from B']).toContain(meta(a.doc).get('title'));
    const server = collab.hocuspocus.documents.get(name)!;
    expect(text(server)).toBe(text(a.doc));
    expect(Y.encodeStateVector(server)).toEqual(Y.encodeStateVector(a.doc));
  });

  it('refuses a missing or bad token, with authenticationFailed', async () => {
    const { name } = await orgWithMembers();
    const collab = await h.startServer();
    const outcomes = await Promise.all(
      [null, '', 'not-a-session-token', 'clk_notarealtoken'].map((token) => h.connect(collab, name, token).auth)
    );
    for (const outcome of outcomes) expect(outcome).toEqual({ ok: false, reason: 'unauthenticated' });
    expect(collab.hocuspocus.documents.has(name)).toBe(false);
    expect(await storedRow(db, name)).toBeNull();
  });

  it('refuses members of another organisation and API tokens bound to another organisation', async () => {
    const { org, name, editorA } = await orgWithMembers();
    const other = await createOrganization(db, 'cro');
    const outsider = await createMember(db, other.id, 'owner');
    // A member of both, but the API token is bound to the other organisation.
    await db.insert(memberships).values({ userId: outsider.user.id, organizationId: org.id, role: 'viewer' });
    const boundElsewhere = await createMemberApiToken(db, outsider.user.id, other.id);
    const stranger = await createMember(db, other.id, 'admin');
    const collab = await h.startServer();

    expect(await h.connect(collab, name, stranger.token).auth).toEqual({ ok: false, reason: 'forbidden' });
    expect(await h.connect(collab, name, boundElsewhere).auth).toEqual({ ok: false, reason: 'forbidden' });
    // The same token works on its own organisation's document.
    expect(await h.connect(collab, `organization:${other.id}`, boundElsewhere).auth).toEqual({ ok: true, scope: 'read-write' });
    // Access follows the membership row, not the session's active organisation.
    expect(await h.connect(collab, name, outsider.token).auth).toEqual({ ok: true, scope: 'readonly' });
    // An API token of the organisation itself is fine.
    const ownToken = await createMemberApiToken(db, editorA.user.id, org.id);
    expect(await h.connect(collab, name, ownToken).auth).toEqual({ ok: true, scope: 'read-write' });
  });

  it('refuses unknown kinds and malformed names', async () => {
    const { org, editorA } = await orgWithMembers();
    const collab = await h.startServer();
    const names = [
      `dashboard:${org.id}`,
      'organization:not-a-uuid',
      `organization:${org.id.toUpperCase()}`,
      `organization:${org.id}:extra`,
      `organization:${org.id}\n`,
      'organization:',
      ''
    ];
    for (const name of names) {
      expect(await h.connect(collab, name, editorA.token).auth, JSON.stringify(name)).toEqual({
        ok: false,
        reason: 'unknown-document'
      });
    }
    expect(collab.hocuspocus.getDocumentsCount()).toBe(0);
  });

  it('lets a viewer read but never applies, forwards or stores their edits', async () => {
    const { name, editorA, viewer } = await orgWithMembers();
    const collab = await h.startServer();
    const editor = h.connect(collab, name, editorA.token);
    const reader = h.connect(collab, name, viewer.token);
    await Promise.all([editor.ready(), reader.ready()]);
    expect(await reader.auth).toEqual({ ok: true, scope: 'readonly' });

    editor.doc.getText('notes').insert(0, 'written by the editor');
    await waitForDoc(reader.doc, (d) => text(d) === 'written by the editor');

    const refused = updateRefused(reader);
    meta(reader.doc).set('hacked', true);
    reader.doc.getText('notes').insert(0, 'VIEWER ');
    await refused;

    // Round trip after the refused update: the editor's next change reaches the viewer.
    meta(editor.doc).set('after', 1);
    await waitForDoc(reader.doc, (d) => meta(d).get('after') === 1);
    await editor.acknowledged();

    const server = collab.hocuspocus.documents.get(name)!;
    expect(meta(server).has('hacked')).toBe(false);
    expect(text(server)).toBe('written by the editor');
    expect(meta(editor.doc).has('hacked')).toBe(false);
    expect(text(editor.doc)).toBe('written by the editor');

    await collab.flush();
    const stored = decodeState((await storedRow(db, name))!.state);
    expect(meta(stored).has('hacked')).toBe(false);
    expect(text(stored)).toBe('written by the editor');
  });

  it('puts the actor into the connection context', async () => {
    const { name, editorA } = await orgWithMembers();
    const collab = await h.startServer();
    const changes = new EventEmitter();
    collab.hocuspocus.configuration.extensions.push({
      async onChange({ context, documentName }) {
        changes.emit('change', { documentName, context });
      }
    });
    const client = h.connect(collab, name, editorA.token);
    await client.ready();
    const change = waitForEvent<{ context: CollabContext }>(changes, 'change');
    client.doc.getText('notes').insert(0, 'attributed');
    const { context } = await change;
    expect('user' in context.actor && context.actor.user.id).toBe(editorA.user.id);
    expect(context.access).toBe('edit');
  });
});

describe('message guards', () => {
  it('closes a socket that sends a message over the limit; the document keeps working for others', async () => {
    const { name, editorA, editorB } = await orgWithMembers();
    const collab = await h.startServer(); // default limit: 2 MiB
    const good = h.connect(collab, name, editorA.token);
    const bad = h.connect(collab, name, editorB.token);
    await Promise.all([good.ready(), bad.ready()]);
    good.doc.getText('notes').insert(0, 'keep me');
    await waitForDoc(bad.doc, (d) => text(d) === 'keep me');

    const closed = waitForEvent<{ event: { code: number } }>(bad.provider, 'close', ({ event }) => event.code === 1009);
    const rejected = waitForEvent(collab.events, 'messageRejected');
    bad.doc.getText('notes').insert(0, 'x'.repeat(2 * 1024 * 1024 + 1));
    await closed;
    expect(await rejected).toMatchObject({ reason: 'message-too-big' });
    bad.destroy();

    good.doc.getText('notes').insert(text(good.doc).length, ', still editable');
    await good.acknowledged();
    const fresh = h.connect(collab, name, editorA.token);
    await fresh.ready();
    expect(text(fresh.doc)).toBe('keep me, still editable');
    await collab.flush();
    expect(text(decodeState((await storedRow(db, name))!.state))).toBe('keep me, still editable');
  });

  it('closes a socket that sends a corrupt update before any of it is applied', async () => {
    const { name, editorA, editorB } = await orgWithMembers();
    const collab = await h.startServer();
    const good = h.connect(collab, name, editorA.token);
    const bad = h.connect(collab, name, editorB.token);
    await Promise.all([good.ready(), bad.ready()]);
    good.doc.getText('notes').insert(0, 'hello');
    await waitForDoc(bad.doc, (d) => text(d) === 'hello');

    // A real update (insert + delete) cut short inside its delete set: plain
    // Y.applyUpdate would integrate " evil" and then throw.
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(bad.doc));
    const before = Y.encodeStateVector(forged);
    forged.transact(() => {
      forged.getText('notes').insert(5, ' evil');
      forged.getText('notes').delete(0, 1);
    });
    const update = Y.encodeStateAsUpdate(forged, before);
    const truncated = update.slice(0, update.length - 3);
    const plain = new Y.Doc();
    Y.applyUpdate(plain, Y.encodeStateAsUpdate(bad.doc));
    expect(() => Y.applyUpdate(plain, truncated)).toThrow();
    expect(text(plain)).toContain('evil'); // what the guard prevents

    const closed = waitForEvent<{ event: { code: number } }>(bad.provider, 'close', ({ event }) => event.code === 1007);
    const rejected = waitForEvent(collab.events, 'messageRejected');
    bad.socket.webSocket!.send(new Uint8Array(new OutgoingMessage(name).createSyncMessage().writeUpdate(truncated).toUint8Array()));
    await closed;
    expect(await rejected).toMatchObject({ documentName: name, reason: 'corrupt-update' });
    bad.destroy();

    good.doc.getText('notes').insert(5, ' world');
    await good.acknowledged();
    expect(text(collab.hocuspocus.documents.get(name)!)).toBe('hello world');
    expect(text(good.doc)).toBe('hello world');
    await collab.flush();
    expect(text(decodeState((await storedRow(db, name))!.state))).toBe('hello world');
  });
});

describe('withDocument', () => {
  it('applies a server-side change live, stores it at once and attributes it to the system', async () => {
    const { name, editorA } = await orgWithMembers();
    const collab = await h.startServer({ debounceMs: 60_000, maxDebounceMs: 60_000 });
    const contexts: CollabContext[] = [];
    collab.hocuspocus.configuration.extensions.push({
      async onChange({ context }) {
        contexts.push(context);
      }
    });
    const client = h.connect(collab, name, editorA.token);
    await client.ready();

    const result = await withDocument(collab, name, (doc) => {
      doc.getMap('molecules').set('m1', 'CCO');
      doc.getMap('molecules').set('m2', 'c1ccccc1');
      return doc.getMap('molecules').size;
    });
    expect(result).toBe(2);
    await waitForDoc(client.doc, (d) => d.getMap('molecules').get('m2') === 'c1ccccc1');
    expect(contexts.map((c) => c.actor)).toEqual([SYSTEM_ACTOR]); // one transaction, one update
    // Stored without waiting for the (60 s) debounce.
    expect(decodeState((await storedRow(db, name))!.state).getMap('molecules').toJSON()).toEqual({
      m1: 'CCO',
      m2: 'c1ccccc1'
    });
  });

  it('works on a document nobody has open, and unloads it afterwards', async () => {
    const { name } = await orgWithMembers();
    const collab = await h.startServer();
    await withDocument(collab, name, (doc) => doc.getText('notes').insert(0, 'from a worker'));
    await withDocument(collab, name, (doc) => doc.getText('notes').insert(doc.getText('notes').length, ', twice'));
    expect(collab.hocuspocus.documents.has(name)).toBe(false);
    const row = (await storedRow(db, name))!;
    expect(text(decodeState(row.state))).toBe('from a worker, twice');
  });

  it('rejects names no kind matches', async () => {
    const collab = await h.startServer();
    await expect(withDocument(collab, `dashboard:${randomUUID()}`, () => 1)).rejects.toBeInstanceOf(AppError);
    expect(collab.hocuspocus.getDocumentsCount()).toBe(0);
  });
});

describe('redis', () => {
  it('syncs a document between two server nodes', async () => {
    const { name, editorA, editorB } = await orgWithMembers();
    const node1 = await h.startServer();
    const node2 = await h.startServer();
    const a = h.connect(node1, name, editorA.token);
    const b = h.connect(node2, name, editorB.token);
    await Promise.all([a.ready(), b.ready()]);

    a.doc.getText('notes').insert(0, 'from node 1');
    await waitForDoc(b.doc, (d) => text(d) === 'from node 1');
    meta(b.doc).set('reply', 'from node 2');
    await waitForDoc(a.doc, (d) => meta(d).get('reply') === 'from node 2');
    await Promise.all([a.acknowledged(), b.acknowledged()]);
    await Promise.all([node1.flush(), node2.flush()]);
    const stored = decodeState((await storedRow(db, name))!.state);
    expect(text(stored)).toBe('from node 1');
    expect(meta(stored).get('reply')).toBe('from node 2');
  });
});
