/**
 * The internal API (collab-server/internal-api.ts) on its own listener: only
 * the service credential gets in, the public WebSocket port no longer serves
 * it, changes are credited to the person named in `on_behalf_of`, and a person
 * who is no longer a member (or only reads) is refused. Real Postgres, a real
 * server and providers.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cardsMap, readCards } from '../../common/board';
import { callCollabInternal, collabInternalRoutes } from '../../common/collab-internal';
import { AppError } from '../../common/errors';
import { listBoardHistory } from '../../db/access/libraries';
import { authenticateToken } from '../../db/auth';
import { libraries, libraryMolecules, libraryShares, memberships } from '../../db/schema';
import { insertStandInMolecules } from '../../db/test/fixtures';
import { createMember, createOrganization, onBehalf, TEST_SERVICE_SECRET, useHarness, waitForDoc } from './fixtures';

const { db, h } = useHarness();

async function boardFixture() {
  const org = await createOrganization(db);
  const [ana, ben] = await Promise.all([createMember(db, org.id, 'scientist'), createMember(db, org.id, 'scientist')]);
  const [lib] = await db.insert(libraries).values({ organizationId: org.id, name: `Lib ${randomUUID().slice(0, 6)}`, createdBy: ana.user.id }).returning();
  const ms = await insertStandInMolecules(db, org.id, 2);
  return { org, ana, ben, lib, ms, name: `library:${lib.id}` };
}

const projected = async (libraryId: string) => (await db.select().from(libraryMolecules).where(eq(libraryMolecules.libraryId, libraryId))).length;

describe('the service credential', () => {
  it('is required: missing, wrong, or a user’s own token get 401 and change nothing', async () => {
    const { org, ana, lib, ms } = await boardFixture();
    const server = await h.startServer();
    const internal = await h.startInternalApi(server);
    const path = collabInternalRoutes.libraryCards.path(lib.id);
    const body = { on_behalf_of: onBehalf(ana.user.id, org.id), add: ms.map((m) => m.id) };
    const sameLength = TEST_SERVICE_SECRET.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    for (const secret of [null, '', 'not-the-secret', sameLength, ana.token]) {
      const res = await internal.post(path, body, secret);
      expect(res.status, `secret ${JSON.stringify(secret)}`).toBe(401);
      expect((await res.json()).error.code).toBe('AUTHENTICATION_ERROR');
    }
    // Unknown paths too: nothing about the API shows without the credential.
    expect((await internal.post('/internal/v1/nothing-here', {}, null)).status).toBe(401);
    expect((await internal.post('/internal/v1/nothing-here', {})).status).toBe(404);
    expect(await projected(lib.id)).toBe(0);
    // The contract's client says the same.
    await expect(internal.call('libraryCards', lib.id, body).then(() => 'applied')).resolves.toBe('applied');
    const refused = await callCollabInternal({ url: internal.target.url, secret: 'x'.repeat(40) }, 'libraryCards', lib.id, body).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('AUTHENTICATION_ERROR');
  });

  it('is the only way in: the public WebSocket port no longer serves the API, and the internal port takes no WebSocket', async () => {
    const { org, ana, lib, ms, name } = await boardFixture();
    const server = await h.startServer();
    const internal = await h.startInternalApi(server);
    const watcher = h.connect(server, name, ana.token);
    await watcher.ready();
    // The old route on the public port, with every credential a caller might send.
    for (const credential of [ana.token, TEST_SERVICE_SECRET]) {
      const res = await fetch(`http://127.0.0.1:${server.port}${collabInternalRoutes.libraryCards.path(lib.id)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify({ on_behalf_of: onBehalf(ana.user.id, org.id), add: ms.map((m) => m.id) })
      });
      expect(res.headers.get('content-type') ?? '').not.toContain('application/json');
      await res.arrayBuffer();
    }
    await server.flush();
    expect(cardsMap(watcher.doc).size).toBe(0);
    expect(await projected(lib.id)).toBe(0);

    // A WebSocket handshake on the internal port is dropped, whatever it sends.
    const outcome = await new Promise<string>((resolve) => {
      const ws = new WebSocket(internal.api.url.replace(/^http/, 'ws'), { headers: { authorization: `Bearer ${TEST_SERVICE_SECRET}` } });
      ws.on('open', () => {
        ws.close();
        resolve('open');
      });
      ws.on('error', () => resolve('refused'));
      ws.on('unexpected-response', (_req, res) => {
        resolve(`http ${res.statusCode}`);
        ws.terminate();
      });
    });
    expect(outcome).not.toBe('open');
  });
});

describe('on behalf of a person', () => {
  it('credits the change to the person named, with no session of theirs', async () => {
    const { org, ana, ben, lib, ms, name } = await boardFixture();
    const server = await h.startServer();
    const internal = await h.startInternalApi(server);
    const watcher = h.connect(server, name, ana.token);
    await watcher.ready();
    const result = await internal.call('libraryCards', lib.id, { on_behalf_of: onBehalf(ben.user.id, org.id), add: ms.map((m) => m.id), lane_id: 'make' });
    expect(result).toEqual({ added: 2, already_present: 0, removed: 0 });
    await waitForDoc(watcher.doc, (d) => cardsMap(d).size === 2, 5000, 'cards on the open board');
    expect(readCards(watcher.doc).map((c) => [c.lane, c.addedBy])).toEqual([
      ['make', ben.user.id],
      ['make', ben.user.id]
    ]);
    const actor = (await authenticateToken(db, ana.token))!;
    const history = await listBoardHistory(db, actor, lib.id, { limit: 20 });
    expect(history[0].user?.id).toBe(ben.user.id);
    expect(history[0].summary.map((s) => s.text).join('; ')).toContain('added 2 molecules');
  });

  it('refuses a person who was removed from the organisation, or who only reads', async () => {
    const { org, ana, ben, lib, ms, name } = await boardFixture();
    const server = await h.startServer();
    const internal = await h.startInternalApi(server);
    const watcher = h.connect(server, name, ana.token);
    await watcher.ready();
    const add = (userId: string) =>
      internal.post(collabInternalRoutes.libraryCards.path(lib.id), { on_behalf_of: onBehalf(userId, org.id), add: [ms[0].id] });

    await db.delete(memberships).where(and(eq(memberships.userId, ben.user.id), eq(memberships.organizationId, org.id)));
    const removed = await add(ben.user.id);
    expect(removed.status).toBe(403);
    expect((await removed.json()).error.code).toBe('AUTHORIZATION_ERROR');

    // A viewer reads the board but may not change it (the WebSocket rule).
    const viewer = await createMember(db, org.id, 'viewer');
    const readOnly = await add(viewer.user.id);
    expect(readOnly.status).toBe(403);
    // Someone of another organisation does not learn the library exists.
    const outsiderOrg = await createOrganization(db);
    const outsider = await createMember(db, outsiderOrg.id, 'owner');
    const stranger = await internal.post(collabInternalRoutes.libraryCards.path(lib.id), { on_behalf_of: onBehalf(outsider.user.id, outsiderOrg.id), add: [ms[0].id] });
    expect(stranger.status).toBe(404);

    await server.flush();
    expect(cardsMap(watcher.doc).size).toBe(0);
    expect(await projected(lib.id)).toBe(0);
  });

  it('counts only the named organisation’s membership when the scope is the organisation (API tokens, workers)', async () => {
    const { lib, ms } = await boardFixture();
    // Carol is a scientist at a CRO the library is shared with to edit, and a member of a third organisation too.
    const cro = await createOrganization(db, 'cro');
    const other = await createOrganization(db);
    const carol = await createMember(db, cro.id, 'scientist');
    await db.insert(memberships).values({ userId: carol.user.id, organizationId: other.id, role: 'owner' });
    await db.insert(libraryShares).values({ libraryId: lib.id, organizationId: cro.id, access: 'edit' });
    const server = await h.startServer();
    const internal = await h.startInternalApi(server);
    const add = (organizationId: string, scope: 'user' | 'organization') =>
      internal.post(collabInternalRoutes.libraryCards.path(lib.id), { on_behalf_of: onBehalf(carol.user.id, organizationId, scope), add: [ms[0].id] });
    // Bound to the third organisation (like an API token of hers there): the CRO's share does not count.
    expect((await add(other.id, 'organization')).status).toBe(404);
    // As her browser session would, active in the third organisation: every membership counts.
    const asSession = await add(other.id, 'user');
    expect(asSession.status).toBe(200);
    expect((await asSession.json()).data).toMatchObject({ added: 1 });
    // Bound to the CRO: its share lets her edit.
    expect((await add(cro.id, 'organization')).status).toBe(200);
  });
});
