/**
 * Library boards on the collab-server, against real Postgres, Redis and
 * providers: who may open/edit (role × share), the projection written with
 * the stored state, attributed history in words, versions and restore,
 * @mention notifications, server-side changes over the internal API,
 * persistence across a restart and two nodes behind one Redis.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addCards, addComment, cardsMap, moveCard, readBoard, readCards, setNoteText, setTag } from '../../common/board';
import { createQueues } from '../../common/queues';
import { boardDocAt, listBoardHistory } from '../../db/access/libraries';
import { auditEvents, documentChanges, libraries, libraryMolecules, libraryShares, molecules, type LibraryMemberAccess } from '../../db/schema';
import { collabInternalRoutes } from '../../common/collab-internal';
import { createMember, createOrganization, onBehalf, testEnv, useHarness, waitForDoc, waitForEvent } from './fixtures';

const { db, h } = useHarness();

async function createLibrary(organizationId: string, createdBy: string | null, memberAccess: LibraryMemberAccess = 'edit') {
  const [lib] = await db.insert(libraries).values({ organizationId, name: `Lib ${randomUUID().slice(0, 6)}`, memberAccess, createdBy }).returning();
  return lib;
}

let registry = 1;
async function createMolecules(organizationId: string, n: number) {
  const rows = await db
    .insert(molecules)
    .values(
      Array.from({ length: n }, () => {
        const k = registry++;
        return {
          organizationId,
          registryNumber: k,
          inchikey: `TEST${randomUUID()}`,
          inchi: 'InChI=1S/test',
          canonicalSmiles: 'C'.repeat((k % 10) + 1),
          formula: 'C',
          morganFp: new Uint8Array(256),
          patternFp: new Uint8Array(256)
        };
      })
    )
    .returning({ id: molecules.id, registryNumber: molecules.registryNumber });
  return rows;
}

const cx = (n: number) => `CX-${String(n).padStart(6, '0')}`;

async function stored(collab: { flush(): Promise<void> }) {
  await collab.flush();
}

describe('who may open and edit a board', () => {
  it('follows role × member access × personal and partner shares; others are refused', async () => {
    const sponsor = await createOrganization(db);
    const cro = await createOrganization(db, 'cro');
    const stranger = await createOrganization(db, 'cro');
    const [owner, scientist, viewer, sharedScientist, croScientist, croViewer, outsider] = await Promise.all([
      createMember(db, sponsor.id, 'owner'),
      createMember(db, sponsor.id, 'scientist'),
      createMember(db, sponsor.id, 'viewer'),
      createMember(db, sponsor.id, 'scientist'),
      createMember(db, cro.id, 'scientist'),
      createMember(db, cro.id, 'viewer'),
      createMember(db, stranger.id, 'owner')
    ]);
    const lib = await createLibrary(sponsor.id, owner.user.id, 'view');
    await db.insert(libraryShares).values([
      { libraryId: lib.id, userId: sharedScientist.user.id, access: 'edit' },
      { libraryId: lib.id, organizationId: cro.id, access: 'edit' }
    ]);
    const server = await h.startServer();
    const name = `library:${lib.id}`;
    const scope = async (token: string) => {
      const outcome = await h.connect(server, name, token).auth;
      return outcome.ok ? outcome.scope : `refused:${outcome.reason}`;
    };
    expect(await scope(owner.token)).toBe('read-write');
    expect(await scope(scientist.token)).toBe('readonly'); // member access "view"
    expect(await scope(viewer.token)).toBe('readonly');
    expect(await scope(sharedScientist.token)).toBe('read-write'); // personal edit share
    expect(await scope(croScientist.token)).toBe('read-write'); // partner share "edit"
    expect(await scope(croViewer.token)).toBe('readonly'); // partner viewer: read at most
    expect(await scope(outsider.token)).toBe('refused:forbidden'); // not shared

    // Member access "none": a scientist without a share cannot open it at all.
    await db.update(libraries).set({ memberAccess: 'none' }).where(eq(libraries.id, lib.id));
    expect(await scope(scientist.token)).toBe('refused:forbidden');
    // Unsharing the CRO shuts it out.
    await db.delete(libraryShares).where(and(eq(libraryShares.libraryId, lib.id), eq(libraryShares.organizationId, cro.id)));
    expect(await scope(croScientist.token)).toBe('refused:forbidden');
  });

  it('drops a view-only user’s changes: nothing reaches others or the store', async () => {
    const org = await createOrganization(db);
    const [editor, viewer] = await Promise.all([createMember(db, org.id, 'scientist'), createMember(db, org.id, 'viewer')]);
    const lib = await createLibrary(org.id, editor.user.id);
    const [m] = await createMolecules(org.id, 1);
    const server = await h.startServer();
    const a = h.connect(server, `library:${lib.id}`, editor.token);
    const v = h.connect(server, `library:${lib.id}`, viewer.token);
    await Promise.all([a.ready(), v.ready()]);
    addCards(a.doc, [m.id], { userId: editor.user.id });
    await waitForDoc(v.doc, (d) => cardsMap(d).has(m.id));
    moveCard(v.doc, m.id, 'drop'); // the viewer tries anyway
    setTag(v.doc, m.id, 'hacked', true);
    await new Promise((r) => setTimeout(r, 200));
    await stored(server);
    expect(readCards(a.doc)[0]).toMatchObject({ lane: 'ideas', tags: [] });
    const [row] = await db.select().from(libraryMolecules).where(eq(libraryMolecules.libraryId, lib.id));
    expect(row).toMatchObject({ laneId: 'ideas', tags: [] });
  });
});

describe('projection and history', () => {
  it('projects lanes, order and tags with the stored state, and records each person’s changes in words', async () => {
    const org = await createOrganization(db);
    const [ana, ben] = await Promise.all([createMember(db, org.id, 'scientist'), createMember(db, org.id, 'scientist')]);
    const lib = await createLibrary(org.id, ana.user.id);
    const ms = await createMolecules(org.id, 4);
    const server = await h.startServer();
    const a = h.connect(server, `library:${lib.id}`, ana.token);
    const b = h.connect(server, `library:${lib.id}`, ben.token);
    await Promise.all([a.ready(), b.ready()]);
    // The server created the default lanes when the board was first loaded.
    await waitForDoc(a.doc, (d) => readBoard(d).lanes.length === 5);

    addCards(a.doc, ms.map((m) => m.id), { userId: ana.user.id });
    await a.acknowledged();
    await stored(server);
    await waitForDoc(b.doc, (d) => cardsMap(d).size === 4);
    moveCard(b.doc, ms[1].id, 'test');
    setTag(b.doc, ms[1].id, 'potent', true);
    await b.acknowledged();
    await stored(server);
    moveCard(a.doc, ms[3].id, 'ideas', { beforeId: ms[0].id }); // to the top of Ideas
    setNoteText(a.doc, ms[0].id, 'Make the methyl analogue');
    addComment(a.doc, ms[0].id, { id: randomUUID(), authorId: ana.user.id, authorName: ana.user.name, text: `@[${ben.user.name}](${ben.user.id}) can you check?` });
    await a.acknowledged();
    await stored(server);

    const rows = await db
      .select()
      .from(libraryMolecules)
      .where(eq(libraryMolecules.libraryId, lib.id))
      .orderBy(asc(libraryMolecules.laneOrder), asc(libraryMolecules.position));
    expect(rows.map((r) => [r.moleculeId, r.lane, r.position, r.tags])).toEqual([
      [ms[3].id, 'Ideas', 0, []],
      [ms[0].id, 'Ideas', 1, []],
      [ms[2].id, 'Ideas', 2, []],
      [ms[1].id, 'Test', 0, ['potent']]
    ]);
    const [libRow] = await db.select().from(libraries).where(eq(libraries.id, lib.id));
    expect(libRow.boardLanes.map((l) => l.name)).toEqual(['Ideas', 'Make', 'Test', 'Advance', 'Drop']);

    const actor = { user: ana.user, organization: { id: org.id, name: org.name, kind: org.kind }, role: 'scientist' as const, via: 'session' as const, credentialId: '' };
    const history = await listBoardHistory(db, actor, lib.id, { limit: 20 });
    const lines = history.map((c) => `${c.user?.name ?? 'Crosslink'} ${c.summary.map((s) => s.text).join('; ')}`).reverse();
    expect(lines).toEqual([
      expect.stringMatching(/^Crosslink added the lane Ideas; added the lane Make/),
      `${ana.user.name} added 4 molecules`,
      `${ben.user.name} moved ${cx(ms[1].registryNumber)} from Ideas to Test; tagged ${cx(ms[1].registryNumber)} “potent”`,
      `${ana.user.name} reordered ${cx(ms[3].registryNumber)} in Ideas; edited the note on ${cx(ms[0].registryNumber)}; commented on ${cx(ms[0].registryNumber)}`
    ]);
    // Every board change is an audit event too, attributed.
    const audits = await db.select().from(auditEvents).where(and(eq(auditEvents.entityType, 'library'), eq(auditEvents.entityId, lib.id)));
    expect(audits.filter((e) => e.action === 'library.board_changed').map((e) => e.actorUserId)).toEqual([null, ana.user.id, ben.user.id, ana.user.id]);

    // An earlier version is rebuilt exactly: after Ben's change, before Ana's reorder and note.
    const bensChange = history.find((c) => c.user?.id === ben.user.id)!;
    const then = await boardDocAt(db, lib.id, bensChange.id);
    const board = readBoard(then!);
    expect(board.cards.map((c) => [c.moleculeId, c.lane])).toEqual([
      [ms[0].id, 'ideas'],
      [ms[2].id, 'ideas'],
      [ms[3].id, 'ideas'],
      [ms[1].id, 'test']
    ]);
    expect(board.notes).toEqual({});
  });

  it('restores an earlier version as a new change that open boards receive, and notifies @mentioned people once', async () => {
    const org = await createOrganization(db);
    const [ana, ben] = await Promise.all([createMember(db, org.id, 'owner'), createMember(db, org.id, 'scientist')]);
    const lib = await createLibrary(org.id, ana.user.id);
    const ms = await createMolecules(org.id, 3);
    const queues = createQueues(testEnv().redisUrl, h.redisPrefix);
    try {
      const server = await h.startServer({ queues });
      const a = h.connect(server, `library:${lib.id}`, ana.token);
      const b = h.connect(server, `library:${lib.id}`, ben.token);
      await Promise.all([a.ready(), b.ready()]);
      addCards(a.doc, ms.map((m) => m.id), { userId: ana.user.id });
      setTag(a.doc, ms[0].id, 'keep', true);
      await a.acknowledged();
      await stored(server);
      const [good] = await db.select({ id: documentChanges.id }).from(documentChanges).where(eq(documentChanges.documentName, `library:${lib.id}`)).orderBy(asc(documentChanges.id)).offset(1).limit(1);

      // Ben makes a mess; Ana comments, mentioning Ben.
      await waitForDoc(b.doc, (d) => cardsMap(d).size === 3);
      moveCard(b.doc, ms[0].id, 'drop');
      moveCard(b.doc, ms[1].id, 'drop');
      setTag(b.doc, ms[0].id, 'keep', false);
      await b.acknowledged();
      const commentId = randomUUID();
      addComment(a.doc, ms[2].id, { id: commentId, authorId: ana.user.id, authorName: ana.user.name, text: `@[${ben.user.name}](${ben.user.id}) why?` });
      await a.acknowledged();
      await stored(server);

      const job = await queues.queues.notifications.getJob(`mention-${commentId}-${ben.user.id}`);
      expect(job?.data.notification).toMatchObject({ userId: ben.user.id, kind: 'library.mention', link: `/libraries/${lib.id}?card=${ms[2].id}` });
      expect(job?.data.notification.title).toContain(ana.user.name);

      // Restore through the internal API, for Ana (as the web app asks on her behalf).
      const internal = await h.startInternalApi(server);
      const res = await internal.post(collabInternalRoutes.libraryRestore.path(lib.id), { on_behalf_of: onBehalf(ana.user.id, org.id), change_id: good.id });
      expect(res.status).toBe(200);
      await waitForDoc(b.doc, (d) => readCards(d).every((c) => c.lane === 'ideas'), 5000, 'the restored board on Ben’s side');
      expect(readCards(b.doc).find((c) => c.moleculeId === ms[0].id)!.tags).toEqual(['keep']);
      await stored(server);
      const [last] = await db.select().from(documentChanges).where(eq(documentChanges.documentName, `library:${lib.id}`)).orderBy(asc(documentChanges.id)).offset(4);
      expect(last).toMatchObject({ userId: ana.user.id, restoredFrom: good.id });
      const rows = await db.select().from(libraryMolecules).where(eq(libraryMolecules.libraryId, lib.id));
      expect(rows.every((r) => r.laneId === 'ideas')).toBe(true);
    } finally {
      await queues.close();
    }
  });
});

describe('internal API for server-side changes', () => {
  it('adds cards live for the caller with edit access; refuses anonymous and read-only callers', async () => {
    const org = await createOrganization(db);
    const [editor, viewer] = await Promise.all([createMember(db, org.id, 'scientist'), createMember(db, org.id, 'viewer')]);
    const other = await createOrganization(db);
    const lib = await createLibrary(org.id, editor.user.id);
    const ms = await createMolecules(org.id, 2);
    const [foreign] = await createMolecules(other.id, 1);
    const server = await h.startServer();
    const internal = await h.startInternalApi(server);
    const watcher = h.connect(server, `library:${lib.id}`, viewer.token);
    await watcher.ready();
    // Made for `member`; no member: a caller without the service credential.
    const call = (member: { user: { id: string } } | null, body: object) =>
      internal.post(
        collabInternalRoutes.libraryCards.path(lib.id),
        { on_behalf_of: onBehalf(member?.user.id ?? editor.user.id, org.id), ...body },
        member ? undefined : null
      );
    expect((await call(null, { add: [ms[0].id] })).status).toBe(401);
    const ro = await call(viewer, { add: [ms[0].id] });
    expect(ro.status).toBe(403);
    expect((await ro.json()).error.code).toBe('AUTHORIZATION_ERROR');
    const bad = await call(editor, { add: [foreign.id] });
    expect(bad.status).toBe(400); // another organisation's molecule
    const okRes = await call(editor, { add: ms.map((m) => m.id), lane_id: 'make' });
    expect(await okRes.json()).toEqual({ data: { added: 2, already_present: 0, removed: 0 } });
    await waitForDoc(watcher.doc, (d) => cardsMap(d).size === 2, 5000, 'cards on the open board');
    expect(readCards(watcher.doc).map((c) => c.lane)).toEqual(['make', 'make']);
    const again = await call(editor, { add: [ms[0].id] });
    expect((await again.json()).data).toMatchObject({ added: 0, already_present: 1 });
  });
});

describe('reliability', () => {
  it('keeps every acknowledged change across a restart; clients reconnect by themselves', async () => {
    const org = await createOrganization(db);
    const editor = await createMember(db, org.id, 'scientist');
    const lib = await createLibrary(org.id, editor.user.id);
    const ms = await createMolecules(org.id, 2);
    const first = await h.startServer();
    const port = first.port;
    const a = h.connect(first, `library:${lib.id}`, editor.token);
    await a.ready();
    addCards(a.doc, ms.map((m) => m.id), { userId: editor.user.id });
    moveCard(a.doc, ms[1].id, 'advance');
    await a.acknowledged();
    await first.destroy();

    const second = await h.startServer({ port });
    // The same provider reconnects to the new server on the same port and keeps editing.
    await waitForEvent(a.provider, 'synced', () => true, 10_000);
    setTag(a.doc, ms[0].id, 'after-restart', true);
    await a.acknowledged();
    await second.flush();
    const fresh = h.connect(second, `library:${lib.id}`, editor.token);
    await fresh.ready();
    expect(readCards(fresh.doc).map((c) => [c.moleculeId, c.lane, c.tags])).toEqual([
      [ms[0].id, 'ideas', ['after-restart']],
      [ms[1].id, 'advance', []]
    ]);
  });

  it('merges edits made offline when the client reconnects', async () => {
    const org = await createOrganization(db);
    const [ana, ben] = await Promise.all([createMember(db, org.id, 'scientist'), createMember(db, org.id, 'scientist')]);
    const lib = await createLibrary(org.id, ana.user.id);
    const ms = await createMolecules(org.id, 3);
    const server = await h.startServer();
    const a = h.connect(server, `library:${lib.id}`, ana.token);
    const b = h.connect(server, `library:${lib.id}`, ben.token);
    await Promise.all([a.ready(), b.ready()]);
    addCards(a.doc, ms.map((m) => m.id), { userId: ana.user.id });
    await waitForDoc(b.doc, (d) => cardsMap(d).size === 3);

    a.socket.disconnect(); // Ana's train enters a tunnel
    if (a.socket.status !== 'disconnected') {
      await waitForEvent(a.socket, 'status', (e: { status: string }) => e.status === 'disconnected');
    }
    moveCard(a.doc, ms[0].id, 'test');
    setTag(a.doc, ms[2].id, 'offline', true);
    moveCard(b.doc, ms[1].id, 'make'); // Ben keeps working online
    await b.acknowledged();
    expect(readCards(b.doc).find((c) => c.moleculeId === ms[0].id)!.lane).toBe('ideas');

    await a.socket.connect();
    const merged = (d: Y.Doc) => {
      const c = Object.fromEntries(readCards(d).map((x) => [x.moleculeId, x]));
      return c[ms[0].id].lane === 'test' && c[ms[1].id].lane === 'make' && c[ms[2].id].tags.includes('offline');
    };
    await waitForDoc(a.doc, merged, 10_000, 'Ben’s edit on Ana’s side');
    await waitForDoc(b.doc, merged, 10_000, 'Ana’s offline edits on Ben’s side');
    await server.flush();
    const rows = await db.select().from(libraryMolecules).where(eq(libraryMolecules.libraryId, lib.id));
    expect(Object.fromEntries(rows.map((r) => [r.moleculeId, r.laneId]))).toEqual({ [ms[0].id]: 'test', [ms[1].id]: 'make', [ms[2].id]: 'ideas' });
  });

  it('keeps clients on two nodes behind one Redis in sync, and both nodes project the same board', async () => {
    const org = await createOrganization(db);
    const [ana, ben] = await Promise.all([createMember(db, org.id, 'scientist'), createMember(db, org.id, 'scientist')]);
    const lib = await createLibrary(org.id, ana.user.id);
    const ms = await createMolecules(org.id, 3);
    const node1 = await h.startServer();
    const node2 = await h.startServer();
    expect(node1.port).not.toBe(node2.port);
    const a = h.connect(node1, `library:${lib.id}`, ana.token);
    const b = h.connect(node2, `library:${lib.id}`, ben.token);
    await Promise.all([a.ready(), b.ready()]);
    addCards(a.doc, ms.map((m) => m.id), { userId: ana.user.id });
    await waitForDoc(b.doc, (d) => cardsMap(d).size === 3, 5000, 'cards on node 2');
    // Concurrent edits on different nodes.
    moveCard(a.doc, ms[0].id, 'make');
    moveCard(b.doc, ms[2].id, 'test');
    setTag(b.doc, ms[0].id, 'from-ben', true);
    const done = (d: Y.Doc) => {
      const c = Object.fromEntries(readCards(d).map((x) => [x.moleculeId, x]));
      return c[ms[0].id]?.lane === 'make' && c[ms[0].id]?.tags[0] === 'from-ben' && c[ms[2].id]?.lane === 'test';
    };
    await waitForDoc(a.doc, done, 5000, 'both edits on node 1');
    await waitForDoc(b.doc, done, 5000, 'both edits on node 2');
    expect(JSON.stringify(readCards(a.doc))).toBe(JSON.stringify(readCards(b.doc)));
    expect(readCards(a.doc).map((c) => [c.lane, c.tags])).toEqual([
      ['ideas', []],
      ['make', ['from-ben']],
      ['test', []]
    ]);
    await Promise.all([node1.flush(), node2.flush()]);
    const rows = await db.select().from(libraryMolecules).where(eq(libraryMolecules.libraryId, lib.id));
    expect(Object.fromEntries(rows.map((r) => [r.moleculeId, r.laneId]))).toEqual({ [ms[0].id]: 'make', [ms[1].id]: 'ideas', [ms[2].id]: 'test' });
  });
});
