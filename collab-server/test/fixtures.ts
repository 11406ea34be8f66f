/**
 * Shared fixtures for collab-server tests: real Postgres rows (random emails,
 * so files and runs never collide), real servers on port 0, real providers
 * over `ws`, and bounded event waits instead of sleeps.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createApiToken, createSession } from '../../db/auth';
import { closeDb, createDb, type Db } from '../../db/client';
import {
  collabDocuments,
  memberships,
  organizations,
  users,
  type MembershipRole,
  type OrganizationKind
} from '../../db/schema';
import { callCollabInternal, type CollabInternalBody, type CollabInternalRoute, type CollabInternalTarget } from '../../common/collab-internal';
import { createInternalApi, type InternalApi } from '../internal-api';
import { createCollabServer, type CollabLogger, type CollabServer, type CollabServerOptions } from '../server';

export const DEFAULT_WAIT_MS = 5_000;

export function testEnv() {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    throw new Error(
      'collab-server tests need DATABASE_URL and REDIS_URL (migrated database), e.g.\n' +
        '  DATABASE_URL=postgres://postgres@127.0.0.1:5432/crosslink_collab_dev REDIS_URL=redis://127.0.0.1:6379'
    );
  }
  return { databaseUrl, redisUrl };
}

export function testDb(): Db {
  return createDb(testEnv().databaseUrl, { max: 5, applicationName: 'crosslink-collab-test' });
}

/** Keeps test logs readable; errors still show. */
export const quietLogger: CollabLogger = { info: () => {}, warn: () => {}, error: (...a) => console.error('[collab]', ...a) };

// ---- rows ------------------------------------------------------------------

export async function createOrganization(db: Db, kind: OrganizationKind = 'pharma') {
  const [org] = await db
    .insert(organizations)
    .values({ name: `Org ${randomUUID().slice(0, 8)}`, kind })
    .returning();
  return org;
}

export async function createUser(db: Db) {
  const id = randomUUID();
  const [user] = await db
    .insert(users)
    .values({ email: `collab-${id}@test.crosslink.invalid`, name: `User ${id.slice(0, 8)}`, passwordHash: 'not-a-hash' })
    .returning();
  return user;
}

/** A user with `role` in `organizationId` and a session token active there. */
export async function createMember(db: Db, organizationId: string, role: MembershipRole) {
  const user = await createUser(db);
  await db.insert(memberships).values({ userId: user.id, organizationId, role });
  const { token } = await createSession(db, user.id, { organizationId });
  return { user, token };
}

export async function createMemberApiToken(db: Db, userId: string, organizationId: string) {
  const { token } = await createApiToken(db, { userId, organizationId, name: 'collab test' });
  return token;
}

export async function storedRow(db: Db, name: string) {
  const [row] = await db.select().from(collabDocuments).where(eq(collabDocuments.name, name));
  return row ?? null;
}

/** Decode a stored state into a fresh Y.Doc. */
export function decodeState(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}

// ---- waiting ---------------------------------------------------------------

interface Emitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** First `event` (matching `predicate`) within `timeoutMs`, else reject naming what was awaited. */
export function waitForEvent<T = any>(
  target: Emitter,
  event: string,
  predicate: (payload: T) => boolean = () => true,
  timeoutMs = DEFAULT_WAIT_MS
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      target.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      target.off(event, listener);
      resolve(payload);
    };
    target.on(event, listener);
  });
}

/** Resolves once `predicate(doc)` holds, re-checking on every update of `doc`. */
export function waitForDoc(doc: Y.Doc, predicate: (doc: Y.Doc) => boolean, timeoutMs = DEFAULT_WAIT_MS, what = 'document state') {
  if (predicate(doc)) return Promise.resolve();
  return waitForEvent(doc as unknown as Emitter, 'update', () => predicate(doc), timeoutMs).then(
    () => undefined,
    () => {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
  );
}

// ---- clients ---------------------------------------------------------------

export type AuthOutcome = { ok: true; scope: string } | { ok: false; reason: string };

export interface TestClient {
  name: string;
  doc: Y.Doc;
  provider: HocuspocusProvider;
  socket: HocuspocusProviderWebsocket;
  /** First authentication outcome for this document. */
  auth: Promise<AuthOutcome>;
  /** Authenticated and initial sync done; rejects if refused. */
  ready(): Promise<void>;
  /** The server has applied every local change so far. */
  acknowledged(): Promise<void>;
  destroy(): void;
}

/**
 * `ws` with an 'error' listener of its own: closing a socket that is still
 * connecting (a provider reconnecting after the server closed it) emits an
 * error after the provider has already removed its listeners.
 */
class TestWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => {});
  }
}

export function connectClient(url: string, name: string, token: string | null): TestClient {
  const doc = new Y.Doc();
  const socket = new HocuspocusProviderWebsocket({
    url,
    WebSocketPolyfill: TestWebSocket,
    // Reconnect quickly in tests that restart or close sockets.
    delay: 50,
    minDelay: 50,
    maxDelay: 500
  });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name, document: doc, token });
  const auth = new Promise<AuthOutcome>((resolve) => {
    provider.on('authenticated', ({ scope }: { scope: string }) => resolve({ ok: true, scope }));
    provider.on('authenticationFailed', ({ reason }: { reason: string }) => resolve({ ok: false, reason }));
  });
  provider.attach();
  let destroyed = false;
  return {
    name,
    doc,
    provider,
    socket,
    auth,
    async ready() {
      const outcome = await withDeadline(auth, `authentication on ${name}`);
      if (!outcome.ok) throw new Error(`refused on ${name}: ${outcome.reason}`);
      if (!provider.synced) await waitForEvent(provider, 'synced');
    },
    async acknowledged() {
      if (provider.unsyncedChanges === 0) return;
      await waitForEvent(provider, 'unsyncedChanges', (e: { number: number }) => e.number === 0);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      // A reconnect timer from an earlier close may still be pending, and the
      // provider's connect() would revive the socket after destroy().
      socket.connect = async () => {};
      provider.destroy();
      socket.destroy();
    }
  };
}

function withDeadline<T>(promise: Promise<T>, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    })
  ]).finally(() => clearTimeout(timer));
}

// ---- per-test harness ----------------------------------------------------------

/** The service credential test servers' internal APIs want (spawned servers get it too). */
export const TEST_SERVICE_SECRET = `collab-test-secret-${randomUUID()}`;

/** An internal API listening for tests, with the helpers its callers use. */
export interface TestInternalApi {
  api: InternalApi;
  target: CollabInternalTarget;
  /** The contract's client, as web and workers call it (throws AppError on refusals). */
  call<K extends CollabInternalRoute>(route: K, documentId: string, body: CollabInternalBody<K>): ReturnType<typeof callCollabInternal<K>>;
  /** A raw POST, for status codes and refusals: `secret` null sends no Authorization header. */
  post(path: string, body: unknown, secret?: string | null): Promise<Response>;
}

/** `on_behalf_of` for a member (as a browser session would act). */
export const onBehalf = (userId: string, organizationId: string, scope: 'user' | 'organization' = 'user') => ({
  user_id: userId,
  organization_id: organizationId,
  scope
});

/** Tracks servers and clients of one test so `cleanup()` closes them all, clients first. */
export class Harness {
  private servers: CollabServer[] = [];
  private internalApis: InternalApi[] = [];
  private clients: TestClient[] = [];
  /** Unique per harness (one per test file) so parallel files and runs never share Redis channels. */
  readonly redisPrefix = `collabtest-${randomUUID().slice(0, 8)}`;

  constructor(readonly db: Db) {}

  async startServer(options: Partial<CollabServerOptions> = {}): Promise<CollabServer> {
    const collab = createCollabServer({
      db: this.db,
      redisUrl: testEnv().redisUrl,
      redisPrefix: this.redisPrefix,
      debounceMs: 50,
      redisDisconnectDelayMs: 20,
      storeRetryDelaysMs: [10],
      logger: quietLogger,
      ...options
    });
    this.servers.push(collab);
    await collab.listen();
    return collab;
  }

  /** The internal API for `collab` on a free loopback port, with TEST_SERVICE_SECRET. */
  async startInternalApi(collab: CollabServer): Promise<TestInternalApi> {
    const api = createInternalApi({ collab, db: this.db, secret: TEST_SERVICE_SECRET, logger: quietLogger });
    this.internalApis.push(api);
    await api.listen();
    const target = { url: api.url, secret: TEST_SERVICE_SECRET };
    return {
      api,
      target,
      call: (route, documentId, body) => callCollabInternal(target, route, documentId, body),
      post: (path, body, secret = TEST_SERVICE_SECRET) =>
        fetch(new URL(path, api.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(secret === null ? {} : { authorization: `Bearer ${secret}` }) },
          body: JSON.stringify(body)
        })
    };
  }

  connect(target: CollabServer | string, name: string, token: string | null): TestClient {
    const client = connectClient(typeof target === 'string' ? target : target.url, name, token);
    this.clients.push(client);
    return client;
  }

  async cleanup() {
    for (const client of this.clients.splice(0)) client.destroy();
    await Promise.all(this.internalApis.splice(0).map((a) => a.close()));
    await Promise.all(this.servers.splice(0).map((s) => s.destroy()));
  }
}

/** The file's database connection, closed after its last test. */
export function useTestDb(): Db {
  const db = testDb();
  afterAll(() => closeDb(db));
  return db;
}

/** The file's database and a harness whose servers and clients are closed after every test. */
export function useHarness(): { db: Db; h: Harness } {
  const db = useTestDb();
  const h = new Harness(db);
  afterEach(() => h.cleanup());
  return { db, h };
}

// ---- the entry point as a process ----------------------------------------------

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `collab-server/index.ts` in a process of its own, with `env` on top of this
 * one's (and TEST_SERVICE_SECRET, an internal API on a free port unless `env`
 * says otherwise): `listening` resolves with the WebSocket port it printed,
 * `internalUrl()` is the internal API's URL once it does, `exited` resolves
 * with its exit code. For tests that signal or kill the server.
 */
export function spawnCollabServer(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'collab-server/index.ts'], {
    cwd: repoRoot,
    env: { ...process.env, COLLAB_SERVICE_SECRET: TEST_SERVICE_SECRET, COLLAB_INTERNAL_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collab-server did not start:\n${output}`)), 20_000);
    proc.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\[collab\] listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collab-server exited with ${code} before listening:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    listening,
    exited,
    output: () => output,
    internalUrl: () => /internal API on (http:\/\/[^\s"]+)/.exec(output)?.[1] ?? null,
    /** Kills it with SIGKILL (no store, no shutdown) and waits until it is gone. */
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    }
  };
}
