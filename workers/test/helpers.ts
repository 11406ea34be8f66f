/**
 * Shared pieces of the workers/realtime integration tests: real PostgreSQL
 * (DATABASE_URL), real Redis (REDIS_URL), a random REDIS_PREFIX per test file,
 * an HTTP server on port 0 with the socket.io server attached, and
 * socket.io-client connections.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inArray } from 'drizzle-orm';
import { deleteRedisKeysStartingWith } from '../../scripts/services';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../common/realtime-events';
import { createApiToken, createSession } from '../../db/auth';
import { closeDb, createDb, type Db } from '../../db/client';
import { memberships, organizations, users } from '../../db/schema';
import { ownerDb } from '../../db/test/fixtures';
import { attachSocketServer, type AttachedSocketServer } from '../../web/realtime/socket-server';

export type TestSocket = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

export function testEnv() {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    throw new Error('DATABASE_URL and REDIS_URL must be set (the vitest global setup provides them)');
  }
  const base = process.env.REDIS_PREFIX || 'crosslink-test';
  return { databaseUrl, redisUrl, prefix: `${base}-w${randomUUID().slice(0, 8)}` };
}

export function testDb(databaseUrl: string): Db {
  return createDb(databaseUrl, { max: 4, applicationName: 'crosslink-workers-test' });
}

export interface TestUser {
  id: string;
  email: string;
  organizationId: string;
  /** Session token (what the `crosslink_session` cookie holds). */
  token: string;
}

/** A user with an organisation membership and a session, removed by `deleteTestUsers`. */
export async function createTestUser(db: Db, label: string): Promise<TestUser> {
  const suffix = randomUUID().slice(0, 8);
  const [org] = await db
    .insert(organizations)
    .values({ name: `Workers test ${label} ${suffix}`, kind: 'pharma' })
    .returning();
  const [user] = await db
    .insert(users)
    .values({ email: `workers-${label}-${suffix}@test.invalid`, name: `Test ${label}`, passwordHash: 'x' })
    .returning();
  await db.insert(memberships).values({ userId: user.id, organizationId: org.id, role: 'scientist' });
  const { token } = await createSession(db, user.id, { organizationId: org.id });
  return { id: user.id, email: user.email, organizationId: org.id, token };
}

export async function apiTokenFor(db: Db, user: TestUser): Promise<string> {
  const { token } = await createApiToken(db, { userId: user.id, organizationId: user.organizationId, name: 'test' });
  return token;
}

export async function deleteTestUsers(db: Db, created: TestUser[]) {
  if (!created.length) return;
  // As the schema's owner: the app role may not delete audit events, not even through the
  // organisation's cascade (migration 0004), and the imports these users ran wrote some.
  const owner = ownerDb();
  try {
    // Users cascade to memberships, sessions, notifications, invitations they made are removed with the org.
    await owner.delete(organizations).where(inArray(organizations.id, created.map((u) => u.organizationId)));
    await owner.delete(users).where(inArray(users.id, created.map((u) => u.id)));
  } finally {
    await closeDb(owner);
  }
}

export interface TestRealtimeServer {
  url: string;
  attached: AttachedSocketServer;
  close(): Promise<void>;
}

/** HTTP server on 127.0.0.1:0 with the production socket.io server attached. */
export async function startRealtimeServer(db: Db, redisUrl: string, prefix: string): Promise<TestRealtimeServer> {
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const attached = await attachSocketServer(server, {
    db,
    redisUrl,
    prefix,
    log: { info: () => {}, warn: console.warn, error: console.error }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attached,
    async close() {
      await attached.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}

export interface ConnectOptions {
  token?: string;
  /** Sent as `Authorization: Bearer <bearer>`. */
  bearer?: string;
  cookie?: string;
  origin?: string;
}

/** Connects (websocket transport, no reconnection); rejects with the connect_error. */
export function connect(url: string, options: ConnectOptions = {}): Promise<TestSocket> {
  const extraHeaders: Record<string, string> = {};
  if (options.cookie) extraHeaders.cookie = options.cookie;
  if (options.origin) extraHeaders.origin = options.origin;
  if (options.bearer) extraHeaders.authorization = `Bearer ${options.bearer}`;
  const socket: TestSocket = ioClient(url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    auth: options.token ? { token: options.token } : {},
    extraHeaders
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

type EventName = keyof ServerToClientEvents;
type EventArg<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/** Resolves with the first `event` matching `predicate`; rejects after `timeoutMs`. */
export function nextEvent<E extends EventName>(
  socket: TestSocket,
  event: E,
  predicate: (arg: EventArg<E>) => boolean = () => true,
  timeoutMs = 10_000
): Promise<EventArg<E>> {
  return new Promise((resolve, reject) => {
    const listener = (arg: EventArg<E>) => {
      if (!predicate(arg)) return;
      cleanup();
      resolve(arg);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      (socket as unknown as { off(e: string, l: unknown): void }).off(event, listener);
    };
    (socket as unknown as { on(e: string, l: unknown): void }).on(event, listener);
  });
}

/** Records every server event a socket receives, in order. */
export function recordEvents(socket: TestSocket): Array<{ event: string; arg: any }> {
  const seen: Array<{ event: string; arg: any }> = [];
  socket.onAny((event: string, arg: unknown) => seen.push({ event, arg }));
  return seen;
}

/** A promise plus its resolve, for handing control between a test and a processor. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Delete every Redis key under `prefix` (BullMQ queues of this test file). */
export const deleteRedisKeys = (redisUrl: string, prefix: string) => deleteRedisKeysStartingWith(redisUrl, `${prefix}:`);
