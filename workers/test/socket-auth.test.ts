/**
 * socket.io handshake authentication: session token or API token in
 * `auth.token`, Bearer header, or the session cookie from the app's own
 * origin; everything else is refused with an AppError code in `err.data`.
 * Accepted sockets join `user:<id>` and `org:<active org>`.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgRoom, userRoom } from '../../common/realtime-events';
import { createSession, hashToken } from '../../db/auth';
import { closeDb, type Db } from '../../db/client';
import { apiTokens, memberships, sessions } from '../../db/schema';
import {
  apiTokenFor,
  connect,
  createTestUser,
  deleteRedisKeys,
  deleteTestUsers,
  startRealtimeServer,
  testDb,
  testEnv,
  type TestRealtimeServer,
  type TestSocket,
  type TestUser
} from './helpers';

const env = testEnv();
let db: Db;
let server: TestRealtimeServer;
let carol: TestUser;
const open: TestSocket[] = [];

async function refusal(options: Parameters<typeof connect>[1]) {
  const err = await connect(server.url, options).then(
    (socket) => {
      open.push(socket);
      throw new Error('connection was accepted');
    },
    (e: Error & { data?: { code: string; message: string } }) => e
  );
  return { message: err.message, code: err.data?.code };
}

async function accepted(options: Parameters<typeof connect>[1]) {
  const socket = await connect(server.url, options);
  open.push(socket);
  return socket;
}

beforeAll(async () => {
  db = testDb(env.databaseUrl);
  carol = await createTestUser(db, 'carol');
  server = await startRealtimeServer(db, env.redisUrl, env.prefix);
});

afterAll(async () => {
  for (const s of open) s.close();
  await server?.close();
  if (db) {
    await deleteTestUsers(db, [carol].filter(Boolean));
    await closeDb(db);
  }
  await deleteRedisKeys(env.redisUrl, env.prefix);
});

describe('socket.io authentication', () => {
  it('refuses a connection without credentials', async () => {
    expect(await refusal({})).toEqual({ message: 'Sign in or send a valid token', code: 'AUTHENTICATION_ERROR' });
  });

  it('refuses unknown, malformed and expired tokens', async () => {
    expect((await refusal({ token: 'not-a-real-token' })).code).toBe('AUTHENTICATION_ERROR');
    expect((await refusal({ token: 'clk_not-a-real-token' })).code).toBe('AUTHENTICATION_ERROR');
    expect((await refusal({ cookie: 'crosslink_session=bogus' })).code).toBe('AUTHENTICATION_ERROR');

    const other = await createTestUser(db, 'expired');
    try {
      await db.update(sessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.id, hashToken(other.token)));
      expect((await refusal({ token: other.token })).code).toBe('AUTHENTICATION_ERROR');
    } finally {
      await deleteTestUsers(db, [other]);
    }
  });

  it('accepts a session token and joins the user and organisation rooms', async () => {
    const socket = await accepted({ token: carol.token });
    const inUserRoom = await server.attached.io.local.in(userRoom(carol.id)).fetchSockets();
    const inOrgRoom = await server.attached.io.local.in(orgRoom(carol.organizationId)).fetchSockets();
    expect(inUserRoom.map((s) => s.id)).toContain(socket.id);
    expect(inOrgRoom.map((s) => s.id)).toContain(socket.id);
    expect(inUserRoom.find((s) => s.id === socket.id)?.data).toMatchObject({
      userId: carol.id,
      organizationId: carol.organizationId,
      role: 'scientist',
      via: 'session'
    });
  });

  it('accepts a clk_ API token, in auth.token or as a Bearer header', async () => {
    const token = await apiTokenFor(db, carol);
    expect(token.startsWith('clk_')).toBe(true);
    for (const socket of [await accepted({ token }), await accepted({ bearer: token })]) {
      const [remote] = await server.attached.io.local.in(socket.id!).fetchSockets();
      expect(remote.data).toMatchObject({ userId: carol.id, via: 'api_token' });
    }
    expect((await refusal({ bearer: 'clk_revoked-or-unknown' })).code).toBe('AUTHENTICATION_ERROR');
  });

  it('accepts the session cookie from the same origin, refuses it cross-origin', async () => {
    const host = new URL(server.url).host;
    const cookie = `theme=dark; crosslink_session=${carol.token}`;
    await accepted({ cookie }); // no Origin: not a browser
    await accepted({ cookie, origin: `http://${host}` });
    expect(await refusal({ cookie, origin: 'https://evil.example' })).toEqual({
      message: 'Cross-origin connections must send a token',
      code: 'AUTHORIZATION_ERROR'
    });
    // An explicit token is not ambient authority: allowed from any origin.
    await accepted({ token: carol.token, origin: 'https://evil.example' });
  });
});

/** The socket's `access:ended` notice and the disconnect that follows it. */
function ended(socket: TestSocket) {
  return Promise.all([
    new Promise<{ reason: string; message: string }>((resolve) => socket.once('access:ended', resolve)),
    new Promise<string>((resolve) => socket.once('disconnect', resolve))
  ]);
}

describe('socket.io follows access changes on open sockets', () => {
  it('disconnects a socket whose session is signed out, with the reason, and keeps the user’s other sessions', async () => {
    const other = await createTestUser(db, 'signout');
    try {
      const { token: second } = await createSession(db, other.id, { organizationId: other.organizationId });
      const leaving = await accepted({ token: other.token });
      const staying = await accepted({ token: second });
      const gone = ended(leaving);
      await db.delete(sessions).where(eq(sessions.id, hashToken(other.token)));
      const [notice, reason] = await gone;
      expect(notice).toEqual({ reason: 'signed-out', message: 'You were signed out. Sign in again to keep working.' });
      expect(reason).toBe('io server disconnect');
      const inUserRoom = await server.attached.io.local.in(userRoom(other.id)).fetchSockets();
      expect(inUserRoom.map((s) => s.id)).toEqual([staying.id]);
    } finally {
      await deleteTestUsers(db, [other]);
    }
  });

  it('moves a socket to the organisation room its session switched to, and out of the one it left', async () => {
    const [mover, other] = await Promise.all([createTestUser(db, 'switch'), createTestUser(db, 'switch-to')]);
    try {
      await db.insert(memberships).values({ userId: mover.id, organizationId: other.organizationId, role: 'viewer' });
      const socket = await accepted({ token: mover.token });
      const id = socket.id!;
      const ids = async (room: string) => (await server.attached.io.local.in(room).fetchSockets()).map((s) => s.id);
      expect(await ids(orgRoom(mover.organizationId))).toEqual([id]);
      await db.update(sessions).set({ activeOrganizationId: other.organizationId }).where(eq(sessions.id, hashToken(mover.token)));
      const deadline = Date.now() + 5_000;
      while (!(await ids(orgRoom(other.organizationId))).includes(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await ids(orgRoom(other.organizationId))).toEqual([id]);
      expect(await ids(orgRoom(mover.organizationId))).toEqual([]);
      expect(socket.connected).toBe(true);
    } finally {
      await deleteTestUsers(db, [mover, other]);
    }
  });

  it('disconnects a socket whose API token is revoked', async () => {
    const other = await createTestUser(db, 'revoke');
    try {
      const token = await apiTokenFor(db, other);
      const socket = await accepted({ token });
      const gone = ended(socket);
      await db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.tokenHash, hashToken(token)));
      const [notice, reason] = await gone;
      expect(notice.reason).toBe('token-revoked');
      expect(reason).toBe('io server disconnect');
      expect(await server.attached.io.local.in(userRoom(other.id)).fetchSockets()).toEqual([]);
    } finally {
      await deleteTestUsers(db, [other]);
    }
  });
});

