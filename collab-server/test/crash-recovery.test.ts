/**
 * A collab-server killed with SIGKILL inside the store debounce: every edit it
 * had acknowledged is back after the restart (document, projection, history
 * with the right authors), and edits a client resends on reconnect keep their
 * real author. Real processes, real providers, real Postgres and Redis.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { addCards, addComment, cardsMap, moveCard, readBoard, renameLane, setNoteText, setTag, type ChangeDescription } from '../../common/board';
import { collabInternalRoutes } from '../../common/collab-internal';
import { documentChanges, collabUpdates, libraries, libraryMolecules } from '../../db/schema';
import { insertStandInMolecules } from '../../db/test/fixtures';
import {
  connectClient,
  createMember,
  createOrganization,
  decodeState,
  onBehalf,
  spawnCollabServer,
  TEST_SERVICE_SECRET,
  storedRow,
  testEnv,
  useTestDb,
  waitForDoc,
  waitForEvent,
  type TestClient
} from './fixtures';

const db = useTestDb();
const children: ChildProcess[] = [];
const clients: TestClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The real entry point (index.ts) on this test's Redis prefix. */
function startServer(opts: { redisPrefix: string; port?: number }) {
  const { databaseUrl, redisUrl } = testEnv();
  const server = spawnCollabServer({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: opts.redisPrefix,
    COLLAB_HOST: '127.0.0.1',
    COLLAB_PORT: String(opts.port ?? 0),
    // Nothing is stored by the debounce within the test: only the log can bring edits back.
    COLLAB_DEBOUNCE_MS: '60000'
  });
  children.push(server.proc);
  return server;
}

function connect(port: number, name: string, token: string) {
  const client = connectClient(`ws://127.0.0.1:${port}`, name, token);
  clients.push(client);
  return client;
}

function close(client: TestClient) {
  client.destroy();
  clients.splice(clients.indexOf(client), 1);
}

/** Polls `check` until it returns a value (not undefined), within `timeoutMs`. */
async function eventually<T>(check: () => Promise<T | undefined>, what: () => string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function boardFixture(moleculeCount: number) {
  const org = await createOrganization(db);
  const [ana, ben] = await Promise.all([createMember(db, org.id, 'scientist'), createMember(db, org.id, 'scientist')]);
  const [lib] = await db.insert(libraries).values({ organizationId: org.id, name: `Lib ${randomUUID().slice(0, 6)}`, createdBy: ana.user.id }).returning();
  const ms = await insertStandInMolecules(db, org.id, moleculeCount);
  return { org, ana, ben, lib, ms, name: `library:${lib.id}`, redisPrefix: `collabtest-${randomUUID().slice(0, 8)}` };
}

const cx = (n: number) => `CX-${String(n).padStart(6, '0')}`;

/** The board's history as "<author> <what>" lines, oldest first (author "Crosslink" for the server). */
async function historyLines(libraryId: string, names: Record<string, string>) {
  const rows = await db.select().from(documentChanges).where(eq(documentChanges.documentName, `library:${libraryId}`)).orderBy(asc(documentChanges.id));
  return rows.map((r) => `${r.userId ? (names[r.userId] ?? r.userId) : 'Crosslink'}: ${(r.summary as ChangeDescription[]).map((s) => s.text).join('; ')}`);
}

/** The document was stored and the log emptied by that store. */
async function storedAndLogCleared(name: string, serverOutput: () => string) {
  let seen = '';
  return eventually(async () => {
    const row = await storedRow(db, name);
    const left = await db.select({ id: collabUpdates.id }).from(collabUpdates).where(eq(collabUpdates.documentName, name));
    seen = `stored: ${!!row}, log rows left: ${left.length}\n${serverOutput()}`;
    return row && left.length === 0 ? row : undefined;
  }, () => `${name} stored with its log rows deleted (${seen})`);
}

describe('a collab-server killed inside the store debounce', () => {
  it('loses none of the edits it acknowledged: document, projection and history with each author', async () => {
    const { ana, ben, lib, ms, name, redisPrefix } = await boardFixture(4);
    const first = startServer({ redisPrefix });
    const port = await first.listening;
    const a = connect(port, name, ana.token);
    const b = connect(port, name, ben.token);
    await Promise.all([a.ready(), b.ready()]);
    // A new board: its lanes exist only in memory (and in the log), and Ben's rename builds on them.
    await waitForDoc(b.doc, (d) => readBoard(d).lanes.length === 5);

    // Ten edits, taking turns; each acknowledged (the provider says synced) and seen by the other.
    const edits: Array<[TestClient, TestClient, (doc: Y.Doc) => unknown, (doc: Y.Doc) => boolean]> = [
      [a, b, (d) => addCards(d, ms.map((m) => m.id), { userId: ana.user.id }), (d) => cardsMap(d).size === 4],
      [b, a, (d) => moveCard(d, ms[1].id, 'test'), (d) => readBoard(d).cards.some((c) => c.moleculeId === ms[1].id && c.lane === 'test')],
      [a, b, (d) => moveCard(d, ms[0].id, 'make'), (d) => readBoard(d).cards.some((c) => c.moleculeId === ms[0].id && c.lane === 'make')],
      [b, a, (d) => setTag(d, ms[1].id, 'potent', true), (d) => readBoard(d).cards.some((c) => c.tags.includes('potent'))],
      [a, b, (d) => setTag(d, ms[2].id, 'hot', true), (d) => readBoard(d).cards.some((c) => c.tags.includes('hot'))],
      [b, a, (d) => renameLane(d, 'drop', 'Parked'), (d) => readBoard(d).lanes.some((l) => l.name === 'Parked')],
      [a, b, (d) => setNoteText(d, ms[0].id, 'Make the methyl analogue'), (d) => !!readBoard(d).notes[ms[0].id]],
      [b, a, (d) => moveCard(d, ms[2].id, 'advance'), (d) => readBoard(d).cards.some((c) => c.moleculeId === ms[2].id && c.lane === 'advance')],
      [a, b, (d) => addComment(d, ms[3].id, { id: randomUUID(), authorId: ana.user.id, authorName: ana.user.name, text: 'Worth a second look' }), (d) => !!readBoard(d).comments[ms[3].id]?.length],
      [b, a, (d) => setTag(d, ms[0].id, 'check', true), (d) => readBoard(d).cards.some((c) => c.tags.includes('check'))]
    ];
    for (const [editor, other, edit, seen] of edits) {
      edit(editor.doc);
      await editor.acknowledged();
      await waitForDoc(other.doc, seen);
    }
    const expected = readBoard(a.doc);
    // Inside the debounce: nothing has been stored.
    expect(await storedRow(db, name)).toBeNull();

    await first.kill();
    close(a);
    close(b);

    const second = startServer({ redisPrefix });
    const reader = connect(await second.listening, name, ana.token);
    await reader.ready();
    expect(readBoard(reader.doc)).toEqual(expected);
    close(reader); // the last client leaves: the board is stored (projection and history with it)

    const row = await storedAndLogCleared(name, second.output);
    expect(readBoard(decodeState(row.state))).toEqual(expected);
    const projected = await db.select().from(libraryMolecules).where(eq(libraryMolecules.libraryId, lib.id));
    expect(Object.fromEntries(projected.map((r) => [r.moleculeId, [r.laneId, r.tags]]))).toEqual({
      [ms[0].id]: ['make', ['check']],
      [ms[1].id]: ['test', ['potent']],
      [ms[2].id]: ['advance', ['hot']],
      [ms[3].id]: ['ideas', []]
    });
    const [libRow] = await db.select().from(libraries).where(eq(libraries.id, lib.id));
    expect(libRow.boardLanes.map((l) => l.name)).toEqual(['Ideas', 'Make', 'Test', 'Advance', 'Parked']);

    const A = ana.user.name;
    const B = ben.user.name;
    const [m0, m1, m2, m3] = ms.map((m) => cx(m.registryNumber));
    expect(await historyLines(lib.id, { [ana.user.id]: A, [ben.user.id]: B })).toEqual([
      'Crosslink: added the lane Ideas; added the lane Make; added the lane Test; added the lane Advance; added the lane Drop',
      `${A}: added 4 molecules`,
      `${B}: moved ${m1} from Ideas to Test`,
      `${A}: moved ${m0} from Ideas to Make`,
      `${B}: tagged ${m1} “potent”`,
      `${A}: tagged ${m2} “hot”`,
      `${B}: renamed the lane Drop to Parked`,
      `${A}: edited the note on ${m0}`,
      `${B}: moved ${m2} from Ideas to Advance`,
      `${A}: commented on ${m3}`,
      `${B}: tagged ${m0} “check”`
    ]);
  }, 60_000);
});

describe('edits resent by a client after the server died', () => {
  // Ana's cards come the way the product adds them (the server, stored at
  // once); her moves and tags are live edits inside the debounce. The restarted
  // server has them from the log before Ben's provider resends them, so they
  // stay Ana's: credited to the sender, the resend would put them in Ben's name.
  it('keep their real author', async () => {
    const { ana, ben, lib, ms, name, redisPrefix } = await boardFixture(2);
    const first = startServer({ redisPrefix });
    const port = await first.listening;
    const added = await fetch(new URL(collabInternalRoutes.libraryCards.path(lib.id), first.internalUrl()!), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_SERVICE_SECRET}` },
      body: JSON.stringify({ on_behalf_of: onBehalf(ana.user.id, lib.organizationId), add: ms.map((m) => m.id) })
    });
    expect(added.status).toBe(200);
    // A server-side change is stored before the call returns, and that store took its rows out of the log.
    expect(readBoard(decodeState((await storedRow(db, name))!.state)).cards).toHaveLength(2);
    expect(await db.select().from(collabUpdates).where(eq(collabUpdates.documentName, name))).toEqual([]);
    const a = connect(port, name, ana.token);
    const b = connect(port, name, ben.token);
    await Promise.all([a.ready(), b.ready()]);
    moveCard(a.doc, ms[0].id, 'make');
    setTag(a.doc, ms[1].id, 'hot', true);
    await a.acknowledged();
    await waitForDoc(b.doc, (d) => readBoard(d).cards.some((c) => c.tags.includes('hot')), 5_000, 'Ana’s edits at Ben');

    await first.kill();
    close(a);
    // Same port: Ben's provider reconnects by itself and sends what the new server lacks.
    const second = startServer({ redisPrefix, port });
    await second.listening;
    await waitForEvent(b.provider, 'synced', () => true, 15_000);
    await b.acknowledged();
    const expected = readBoard(b.doc);
    close(b);

    await eventually(async () => {
      const row = await storedRow(db, name);
      const board = row && readBoard(decodeState(row.state));
      return board?.cards.some((c) => c.tags.includes('hot')) ? board : undefined;
    }, () => `Ana’s edits stored\n${second.output()}`);
    expect(readBoard(decodeState((await storedRow(db, name))!.state)).cards).toEqual(expected.cards);
    const [m0, m1] = ms.map((m) => cx(m.registryNumber));
    expect(await historyLines(lib.id, { [ana.user.id]: 'Ana', [ben.user.id]: 'Ben' })).toEqual([
      expect.stringMatching(/^Crosslink: added the lane Ideas/),
      'Ana: added 2 molecules',
      `Ana: tagged ${m1} “hot”; moved ${m0} from Ideas to Make`
    ]);
  }, 60_000);
});
