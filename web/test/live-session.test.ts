/**
 * The browser's live-document session (web/src/lib/live/session.svelte.ts)
 * is usable as is by an editor other than the board: here it opens an
 * `organization:<id>` document against a real collab-server, with real
 * session tokens and a second, plain Yjs client beside it.
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { parseCollabNotice } from '$common/collab-notices';
import { memberships } from '$db/schema';
import { LiveDocumentSession } from '$lib/live/session.svelte';
import { createMember, createOrganization, useHarness, waitForDoc, waitForEvent, type TestClient } from '../../collab-server/test/fixtures';

const { db, h } = useHarness();

/** `ws` that tolerates being closed while connecting (a provider reconnecting after the server closed it). */
class QuietWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => {});
  }
}

type Fields = { focus: string | null };
const readFocus = (s: Record<string, unknown>): Fields => ({ focus: typeof s.focus === 'string' ? s.focus : null });

const open: LiveDocumentSession<Fields>[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
});

/** A team-notes editor: one Y.Map of notes, presence says which note one is looking at. */
function openNotes(url: string, name: string, member: { user: { id: string; name: string }; token: string }, readOnly = false) {
  let loaded!: () => void;
  const first = new Promise<void>((resolve) => (loaded = resolve));
  const session = new LiveDocumentSession<Fields>({
    name,
    url,
    user: { id: member.user.id, name: member.user.name },
    readOnly,
    token: member.token,
    WebSocketPolyfill: QuietWebSocket,
    undoScope: (doc) => [doc.getMap('notes')],
    presence: { initial: { focus: null }, read: readFocus },
    onLoaded: () => loaded()
  });
  open.push(session);
  return { session, loaded: first };
}

const notice = (session: LiveDocumentSession<Fields>, type: 'stored' | 'access') =>
  waitForEvent<{ payload: string }>(session.provider, 'stateless', ({ payload }) => parseCollabNotice(payload)?.type === type);

const notes = (doc: Y.Doc) => doc.getMap<string>('notes');

async function team() {
  const org = await createOrganization(db);
  const una = await createMember(db, org.id, 'scientist');
  const ben = await createMember(db, org.id, 'scientist');
  const collab = await h.startServer();
  return { org, una, ben, collab, name: `organization:${org.id}` };
}

describe('LiveDocumentSession on an organisation document', () => {
  it('loads, edits, undoes only its own change, and hears the document stored', async () => {
    const t = await team();
    const { session, loaded } = openNotes(t.collab.url, t.name, t.una);
    await loaded;
    expect(session.connection).toBe('live');
    expect(session.scope).toBe('read-write');
    expect(session.canEdit).toBe(true);

    const ben: TestClient = h.connect(t.collab, t.name, t.ben.token);
    await ben.ready();
    const stored = notice(session, 'stored');
    expect(session.transact(() => notes(session.doc).set('mine', 'from Una'))).toBe(true);
    notes(ben.doc).set('theirs', 'from Ben');
    await waitForDoc(session.doc, (d) => notes(d).get('theirs') === 'from Ben', undefined, "Ben's note at Una");
    await waitForDoc(ben.doc, (d) => notes(d).get('mine') === 'from Una', undefined, "Una's note at Ben");
    expect(session.undo.canUndo).toBe(true);

    session.undoChange();
    expect(notes(session.doc).has('mine')).toBe(false);
    expect(notes(session.doc).get('theirs')).toBe('from Ben');
    await waitForDoc(ben.doc, (d) => !notes(d).has('mine'), undefined, "Una's undo at Ben");
    expect(session.undo.canRedo).toBe(true);

    await stored;
    expect(session.stored).toBeGreaterThan(0);
    expect(session.unsynced).toBe(0);
  });

  it('shows others present and is shown to them as its own user, which the server accepts', async () => {
    const t = await team();
    const { session, loaded } = openNotes(t.collab.url, t.name, t.una);
    await loaded;
    const ben = h.connect(t.collab, t.name, t.ben.token);
    await ben.ready();

    const seesBen = waitForEvent(session.provider, 'awarenessChange', () => session.peers.some((p) => p.user.id === t.ben.user.id && p.focus === 'agenda'));
    ben.provider.setAwarenessField('user', { id: t.ben.user.id, name: t.ben.user.name, color: '#b42318' });
    ben.provider.setAwarenessField('focus', 'agenda');
    await seesBen;
    expect(session.peers.find((p) => p.user.id === t.ben.user.id)).toMatchObject({ user: { name: t.ben.user.name, color: '#b42318' }, focus: 'agenda' });
    expect(session.peers.some((p) => p.user.id === t.una.user.id)).toBe(false);

    const unaState = () => [...ben.provider.awareness!.getStates().values()].find((s) => s.user?.id === t.una.user.id);
    const seesUna = unaState()?.focus === 'minutes' ? Promise.resolve() : waitForEvent(ben.provider, 'awarenessChange', () => unaState()?.focus === 'minutes');
    session.presence.set({ focus: 'minutes' });
    await seesUna;
    expect(unaState()).toMatchObject({ user: { id: t.una.user.id, name: t.una.user.name, color: session.me.color }, focus: 'minutes' });
    // A state the server refused would have closed the connection (4403).
    expect(session.connection).toBe('live');
  });

  it('is read-only for a viewer: its changes are not made', async () => {
    const t = await team();
    const viewer = await createMember(db, t.org.id, 'viewer');
    const { session, loaded } = openNotes(t.collab.url, t.name, viewer, true);
    await loaded;
    expect(session.scope).toBe('readonly');
    expect(session.canEdit).toBe(false);
    expect(session.transact(() => notes(session.doc).set('x', 'y'))).toBe(false);
    expect(notes(session.doc).size).toBe(0);
    expect(session.undo.canUndo).toBe(false);
  });

  it('follows access notices: lowered to view only, then removed and closed with the server message', async () => {
    const t = await team();
    const { session, loaded } = openNotes(t.collab.url, t.name, t.una);
    await loaded;
    const lowered = notice(session, 'access');
    await db.update(memberships).set({ role: 'viewer' }).where(eq(memberships.userId, t.una.user.id));
    const readNotice = parseCollabNotice((await lowered).payload);
    expect(session.accessChange).toEqual({ access: 'read', message: readNotice?.type === 'access' ? readNotice.message : '' });
    expect(session.canEdit).toBe(false);
    expect(session.transact(() => notes(session.doc).set('x', 'y'))).toBe(false);
    expect(session.connection).toBe('live');

    const removed = notice(session, 'access');
    await db.delete(memberships).where(eq(memberships.userId, t.una.user.id));
    const noneNotice = parseCollabNotice((await removed).payload);
    expect(noneNotice).toMatchObject({ type: 'access', access: 'none' });
    expect(session.accessChange?.access).toBe('none');
    expect(session.refused).toBe(noneNotice?.type === 'access' ? noneNotice.message : null);
    expect(session.connection).toBe('refused');
  });
});
