/**
 * Crosslink collab-server: a Hocuspocus 3.4 WebSocket server for the live Yjs
 * documents teams and their CROs co-edit (library boards, submission drafts,
 * quotes, team notes).
 *
 * - Names and access: a document name is `<kind>:<id>…`; `documents.ts` is the
 *   registry of kinds (pattern, `authorize`, owning organisation, optional
 *   projector). Unknown kinds are refused everywhere.
 * - Authentication: the provider's `token` (session token or `clk_…` API
 *   token) goes through `authenticateToken`; the kind decides `edit` / `read`
 *   (read => `connectionConfig.readOnly`, Hocuspocus drops that client's
 *   updates) or refuses. Refusals reach the client as `authenticationFailed`
 *   with `reason` = `unauthenticated` | `forbidden` | `unknown-document`.
 *   `context.actor` (and `context.access`) is available to every later hook.
 * - Persistence: `@hocuspocus/extension-database` with typed fetch/store on
 *   `collab_documents`. A store decodes the state first (a state that does not
 *   decode is never written), then upserts it and runs the kind's projector in
 *   ONE Postgres transaction; a failing projector rolls the state back. Failed
 *   stores are retried, the document is kept "dirty" and stored again on the
 *   next change, on `flush()` and before it is unloaded. After a store the
 *   document's clients get a `stored` stateless notice (common/collab-notices.ts).
 * - Durability (update-log.ts): every update is appended to `collab_updates`
 *   and committed before Hocuspocus applies and acknowledges it (group
 *   commit); a load replays the rows after the stored state, and a store
 *   deletes the rows its state covers in its transaction. Stores stay
 *   debounced (`debounceMs`, env COLLAB_DEBOUNCE_MS, capped by
 *   `maxDebounceMs`) for the projection and history; a crash (SIGKILL) loses
 *   no acknowledged edit, and the history written after it still credits
 *   each change to its author (the rows carry them). What a client resends
 *   after a restart is already in the replayed document, so it stays its
 *   author's rather than becoming the resender's.
 * - Guards: WebSocket messages over `maxMessageBytes` (default 2 MiB) close the
 *   socket with 1009 before they are buffered; Yjs updates that do not decode
 *   close it with 1007 before they are applied (a truncated update would
 *   otherwise be half-applied, broadcast and stored). Identity is the
 *   server's (client-messages.ts): client stateless messages, presence naming
 *   another user and new comment/card authorship naming another user close
 *   the connection with 4403 before anything is applied or relayed.
 * - Access follows changes (access-watch.ts): access events from Postgres,
 *   expiry timers and a periodic sweep re-check open connections; read access
 *   makes them read-only, no access closes them, with a reason for the page.
 * - Redis (`redisUrl`): `@hocuspocus/extension-redis` syncs documents and
 *   awareness between nodes under `<redisPrefix>:collab:`. Its store lock is
 *   switched off (see RedisSync) and each node also stores changes that reached
 *   it from other nodes, so no node's changes depend on winning a lock. Its
 *   two ioredis connections are closed on `destroy()`.
 * - Server-side edits: `withDocument(collab, name, fn)` (direct connection,
 *   context `{ actor: SYSTEM_ACTOR }`).
 *
 * Relies on Hocuspocus 3.4 internals (checked against 3.4.4): the debouncer
 * id `onStoreDocument-<name>` (flush), `Server.destroy()` resolving once every
 * document is unloaded, the Redis extension's hook names and transaction
 * origin (RedisSync), and a sync update being applied and acknowledged right
 * after the `beforeHandleMessage` hooks resolve (update-log.ts). Re-check them
 * when upgrading Hocuspocus.
 */
import { EventEmitter } from 'node:events';
import { Database } from '@hocuspocus/extension-database';
import { Redis as RedisExtension, type RedisInstance } from '@hocuspocus/extension-redis';
import {
  type Hocuspocus,
  Server,
  type beforeBroadcastStatelessPayload,
  type beforeUnloadDocumentPayload,
  type onAwarenessUpdatePayload,
  type onChangePayload,
  type onStoreDocumentPayload,
  type Document,
  type Extension
} from '@hocuspocus/server';
import { Semaphore } from 'async-mutex';
import { eq, sql } from 'drizzle-orm';
import { Redis as IORedis } from 'ioredis';
import * as Y from 'yjs';
import { storedNotice } from '../common/collab-notices';
import { collabEnvSchema } from '../common/env';
import { AppError } from '../common/errors';
import type { QueueClient } from '../common/queues';
import { authenticateToken, readCookie, SESSION_COOKIE, type Actor } from '../db/auth';
import type { Db } from '../db/client';
import { collabDocuments } from '../db/schema';
import {
  documentKinds,
  resolveDocument,
  type Access,
  type DocumentKind,
  type MentionNotice,
  type Projector,
  type RecordedChange
} from './documents';
import { accessWatch, CREDENTIAL, type AccessChange } from './access-watch';
import { refuseClientMessage, type MessageRefusal } from './client-messages';
import { internalApi } from './internal-api';
import { durableUpdates } from './update-log';

/** Stands in for a user when the server itself changes a document (imports, workers). */
export interface SystemActor {
  readonly kind: 'system';
  readonly id: 'system';
  readonly name: string;
}
export const SYSTEM_ACTOR: SystemActor = Object.freeze({ kind: 'system', id: 'system', name: 'Crosslink' });
export type CollabActor = Actor | SystemActor;

/** `context` of every connection (client or direct), for attribution in hooks. */
export interface CollabContext {
  actor: CollabActor;
  access: Access;
  /** Server-side restores of an earlier board version say which change they go back to. */
  restoredFrom?: number | null;
  /** Client connections: the token they authenticated with, for re-checks (access-watch.ts). */
  [CREDENTIAL]?: string;
}

/** The user id a change is attributed to (null for the server itself). */
export const actorUserId = (actor: CollabActor | undefined): string | null => (actor && 'user' in actor ? actor.user.id : null);

export type RefusalReason = 'unauthenticated' | 'forbidden' | 'unknown-document';

export interface CollabEvents {
  /** State (and projection) committed. */
  stored: [{ documentName: string; organizationId: string; bytes: number }];
  /** A store attempt failed; `final` when no retry follows (the document stays dirty). */
  storeFailed: [{ documentName: string; error: unknown; attempt: number; final: boolean }];
  /** A connection was refused during authentication. */
  refused: [{ documentName: string; reason: RefusalReason; userId: string | null }];
  /**
   * A client message was dropped and its socket closed. Oversized messages are
   * cut off by ws while reading, so neither their document nor size is known.
   */
  messageRejected: [{ documentName: string | null; reason: 'message-too-big' | MessageRefusal; bytes: number | null }];
  /** An open connection's access narrowed: it became read-only (`read`) or was closed (`none`). */
  accessChanged: [AccessChange];
}

export interface CollabLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface CollabServerOptions {
  db: Db;
  /** Enables the Redis extension (multi-node sync). */
  redisUrl?: string;
  /** Key prefix; the extension uses `<redisPrefix>:collab:<document>`. Default `crosslink`. */
  redisPrefix?: string;
  /** Store this long after the last change. Default: COLLAB_DEBOUNCE_MS's default (2000). */
  debounceMs?: number;
  /** Store at least this often while a document keeps changing. Default 10 000. */
  maxDebounceMs?: number;
  /** 0 (default) picks a free port; read it from `collab.port` after `listen()`. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Document-kind registry. Default `documentKinds` from documents.ts. */
  kinds?: readonly DocumentKind[];
  /** Projector overrides by kind name; take precedence over `kind.project`. */
  projectors?: Readonly<Record<string, Projector>>;
  /** Largest accepted WebSocket message. Default 2 MiB. */
  maxMessageBytes?: number;
  /** Documents stored at the same time (each a Postgres transaction). Default 4. */
  concurrentStores?: number;
  /** Waits between store attempts; attempts = length + 1. Default [250, 1000]. */
  storeRetryDelaysMs?: readonly number[];
  /** Redis extension `disconnectDelay` (lets last sync messages through before unsubscribing). Default 1000. */
  redisDisconnectDelayMs?: number;
  /** Bound on `destroy()` waiting for documents to be stored and unloaded. Default 15 000. */
  shutdownTimeoutMs?: number;
  logger?: CollabLogger;
  /** Where @mention notifications go (the `notifications` queue). Without it they are logged and dropped. */
  queues?: Pick<QueueClient, 'enqueue'>;
  /**
   * The page origins that may connect with the session cookie: the web app's
   * ORIGIN and COLLAB_ALLOWED_ORIGINS, exactly. Cookie-authenticated sockets
   * from any other origin (another port of the same host included) are
   * refused (cross-site WebSocket hijacking).
   */
  allowedOrigins?: readonly string[];
}

export interface CollabServer {
  /** The Hocuspocus v3 `Server` (HTTP + WebSocket). */
  readonly server: Server;
  readonly hocuspocus: Hocuspocus;
  readonly events: EventEmitter<CollabEvents>;
  readonly kinds: readonly DocumentKind[];
  /** Actual port once listening (0 before). */
  readonly port: number;
  /** `ws://host:port` a client on this machine can connect to. */
  readonly url: string;
  listen(): Promise<{ port: number; url: string }>;
  /** Run every pending (debounced) store now and retry dirty documents; resolves when done. */
  flush(): Promise<void>;
  /** The last store of this document failed and nothing has stored it since. */
  isDirty(documentName: string): boolean;
  /**
   * Idempotent shutdown: stop accepting, close every connection, store pending
   * documents, unload them, close the Redis connections, drop leftover sockets.
   * Does not close `db` (the caller owns it).
   */
  destroy(): Promise<void>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
const DEFAULT_DEBOUNCE_MS: number = collabEnvSchema.shape.COLLAB_DEBOUNCE_MS.parse(undefined);

const consoleLogger: CollabLogger = {
  info: (...args) => console.log('[collab]', ...args),
  warn: (...args) => console.warn('[collab]', ...args),
  error: (...args) => console.error('[collab]', ...args)
};

class CorruptStateError extends Error {
  constructor(documentName: string, cause: unknown) {
    super(`${documentName}: refusing to store a state that does not decode`, { cause });
    this.name = 'CorruptStateError';
  }
}

/** Thrown from onAuthenticate; Hocuspocus sends `reason` to the client (authenticationFailed). */
function refusal(reason: RefusalReason, message: string): AppError & { reason: RefusalReason } {
  const code = reason === 'unauthenticated' ? 'AUTHENTICATION_ERROR' : reason === 'forbidden' ? 'AUTHORIZATION_ERROR' : 'NOT_FOUND';
  return Object.assign(new AppError(code, message), { reason });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createCollabServer(opts: CollabServerOptions): CollabServer {
  const { db } = opts;
  const kinds = opts.kinds ?? documentKinds;
  const projectors = opts.projectors ?? {};
  const log = opts.logger ?? consoleLogger;
  const host = opts.host ?? '127.0.0.1';
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const storeRetryDelaysMs = opts.storeRetryDelaysMs ?? [250, 1000];
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const events = new EventEmitter<CollabEvents>();
  /** Documents whose last store failed (retried on next change / flush / unload). */
  const dirty = new Set<string>();
  /** Changes applied through this node's connections since each document's last successful store. */
  const changeLog = new Map<string, RecordedChange[]>();
  const durable = durableUpdates({
    db,
    logger: log,
    authorOf: (context) => actorUserId((context as Partial<CollabContext> | undefined)?.actor),
    // Replayed at load, so ahead of any change made since.
    record: (documentName, changes) => changeLog.set(documentName, [...changes, ...(changeLog.get(documentName) ?? [])])
  });
  /**
   * Stores running at once, across documents. Boards that started together
   * reach their debounce limit together; a few hundred stores at once would
   * queue their CPU work (and Postgres replies) in front of live messages for
   * a whole burst, where a few at a time let messages through in between.
   */
  const storeSlots = new Semaphore(opts.concurrentStores ?? 4);
  /** Owning organisation of each loaded document, from its first store (forgotten on unload). */
  const owners = new Map<string, string>();

  function deliver(notices: MentionNotice[]) {
    for (const n of notices) {
      if (!opts.queues) {
        log.warn(`no queue configured; dropping notification for ${n.userId}: ${n.title}`);
        continue;
      }
      opts.queues
        .enqueue(
          'notifications',
          'deliver',
          {
            owner: { userId: n.userId, organizationId: n.organizationId },
            notification: { userId: n.userId, organizationId: n.organizationId, kind: 'library.mention', title: n.title, body: n.body, link: n.link }
          },
          // A retried store describes the same comment again: one notification per comment and person.
          { jobId: n.key.replace(/:/g, '-') }
        )
        .catch((err: Error) => log.warn(`queueing a mention notification failed: ${err.message}`));
    }
  }

  // ---- persistence --------------------------------------------------------

  /** Encode and decode the live document, then upsert state + run the projector in one transaction. */
  async function persist(documentName: string, document: Y.Doc) {
    const ref = resolveDocument(documentName, kinds);
    if (!ref) throw new AppError('NOT_FOUND', `${documentName}: no document kind matches this name`);
    await durable.settled(documentName);
    // State, changes and covered log rows taken together, after the last await: the
    // changes are exactly those in `state` not yet stored by this node (a retry takes both again).
    const state = Y.encodeStateAsUpdate(document);
    const changes = changeLog.get(documentName) ?? [];
    changeLog.delete(documentName);
    const logged = durable.takeCovered(documentName, document);
    const notices: MentionNotice[] = [];
    // A guid given, not generated: Y.Doc's default (uuidv4) draws 31 random numbers, one
    // getRandomValues call each, and that was 4 % of the server's CPU under load.
    const snapshot = new Y.Doc({ guid: documentName });
    try {
      try {
        Y.applyUpdate(snapshot, state);
      } catch (error) {
        throw new CorruptStateError(documentName, error);
      }
      const projector = (projectors[ref.kind.kind] as Projector | undefined) ?? ref.kind.project;
      const organizationId = await db.transaction(async (tx) => {
        // A document's owner never changes: asked once per load (one round trip less per store).
        const organizationId = owners.get(documentName) ?? (await ref.kind.organizationId(tx, ref.id));
        if (!organizationId) throw new AppError('NOT_FOUND', `${documentName}: owning organisation not found`);
        const [prev] = projector
          ? await tx.select({ state: collabDocuments.state }).from(collabDocuments).where(eq(collabDocuments.name, documentName)).for('update')
          : [];
        await tx
          .insert(collabDocuments)
          .values({ name: documentName, organizationId, state })
          .onConflictDoUpdate({
            target: collabDocuments.name,
            set: { organizationId, state, updatedAt: sql`now()` }
          });
        await durable.discard(tx, logged.ids);
        if (projector) {
          await projector(tx, documentName, snapshot, ref, { organizationId, previous: prev?.state ?? null, changes, notify: (n) => notices.push(n) });
        }
        return organizationId;
      });
      owners.set(documentName, organizationId);
      deliver(notices);
      return { organizationId, bytes: state.byteLength };
    } catch (error) {
      // Not stored: keep the changes for the next attempt, before any that came in meanwhile.
      changeLog.set(documentName, [...changes, ...(changeLog.get(documentName) ?? [])]);
      logged.putBack();
      throw error;
    } finally {
      snapshot.destroy();
    }
  }

  /**
   * Never throws: a rejection here would surface as an unhandled rejection from
   * Hocuspocus's debounce timer and take the process down. Failure is reported
   * through `storeFailed`, the log and `isDirty()`.
   */
  async function persistWithRetry(documentName: string, document: Y.Doc): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await storeSlots.runExclusive(() => persist(documentName, document));
        dirty.delete(documentName);
        // Tell the document's clients (on every node) that what they have is stored.
        server.hocuspocus.documents.get(documentName)?.broadcastStateless(storedNotice());
        events.emit('stored', { documentName, ...result });
        return true;
      } catch (error) {
        const final = attempt > storeRetryDelaysMs.length || error instanceof CorruptStateError;
        events.emit('storeFailed', { documentName, error, attempt, final });
        if (final) {
          dirty.add(documentName);
          log.error(`storing ${documentName} failed (attempt ${attempt}, giving up until the next change):`, error);
          return false;
        }
        log.warn(`storing ${documentName} failed (attempt ${attempt}, retrying):`, (error as Error)?.message ?? error);
        await delay(storeRetryDelaysMs[attempt - 1]);
      }
    }
  }

  /** Store the live document again if its last store failed. */
  async function storeIfDirty(document: Document) {
    if (!dirty.has(document.name)) return;
    await document.saveMutex.runExclusive(() => persistWithRetry(document.name, document));
  }

  // ---- extensions ---------------------------------------------------------

  const guard: Extension = {
    extensionName: 'CrosslinkMessageGuard',
    async beforeHandleMessage({ update, connection, documentName, document, context }) {
      const reject = (reason: 'message-too-big' | MessageRefusal, code: number) => {
        events.emit('messageRejected', { documentName, reason, bytes: update.byteLength });
        log.warn(`closing socket ${connection.socketId} on ${documentName}: ${reason} (${update.byteLength} bytes)`);
        connection.webSocket.close(code, reason);
        // Hocuspocus reads code/reason from the error and detaches the connection.
        throw Object.assign(new Error(`message rejected: ${reason}`), { code, reason });
      };
      // Normally unreachable (ws `maxPayload` closes first); kept for sockets
      // handed to `hocuspocus.handleConnection` by another WebSocket server.
      if (update.byteLength > maxMessageBytes) reject('message-too-big', 1009);
      const actor = (context as Partial<CollabContext> | undefined)?.actor;
      const who = actor && 'user' in actor ? { userId: actor.user.id, userName: actor.user.name } : null;
      const refused = refuseClientMessage(update, document, who);
      if (refused) reject(refused, refused === 'corrupt-update' ? 1007 : 4403);
    }
  };

  const auth: Extension = {
    extensionName: 'CrosslinkAuth',
    async onAuthenticate({ token, documentName, connectionConfig, requestHeaders }): Promise<CollabContext> {
      const refuse = (reason: RefusalReason, message: string, userId: string | null = null) => {
        events.emit('refused', { documentName, reason, userId });
        return refusal(reason, message);
      };
      // Browsers send token "cookie": the httpOnly session cookie came with the WebSocket upgrade.
      let credential = token;
      if (token === 'cookie') {
        if (!cookieOriginAllowed(requestHeaders.origin, opts.allowedOrigins ?? [])) {
          throw refuse('unauthenticated', 'The session cookie is only accepted from Crosslink pages');
        }
        credential = readCookie(requestHeaders.cookie, SESSION_COOKIE) ?? '';
      }
      const actor = await authenticateToken(db, credential);
      if (!actor) throw refuse('unauthenticated', 'Sign in or send a valid token');
      const ref = resolveDocument(documentName, kinds);
      if (!ref) throw refuse('unknown-document', `Unknown document "${documentName.slice(0, 80)}"`, actor.user.id);
      const access = await ref.kind.authorize(db, actor, ref.id);
      if (!access) throw refuse('forbidden', `No access to ${documentName}`, actor.user.id);
      connectionConfig.readOnly = access === 'read';
      // Merged into the connection context by Hocuspocus; the credential (under a
      // symbol: never logged or serialised) lets access-watch re-check it later.
      return { actor, access, [CREDENTIAL]: credential };
    }
  };

  // LISTENs for access events on a connection of its own (settings from `db`'s pool); stopped on destroy().
  const watch = accessWatch({
    db,
    kinds,
    log,
    onChange: (change) => {
      log.info(`${change.documentName}: access of ${change.userId} is now ${change.access} (${change.reason})`);
      events.emit('accessChanged', change);
    }
  });

  /**
   * Records who changed what (for board history) and lets a kind shape a new
   * document after it is loaded. Changes that came from other nodes through
   * Redis are theirs to record.
   */
  const changeRecorder: Extension = {
    extensionName: 'CrosslinkChangeLog',
    // Before Redis (1000): Hocuspocus does not await onChange, and runs the chain
    // one awaited extension at a time. First in line, the change is recorded
    // synchronously, before the store it belongs to can start.
    priority: 1001,
    onChange({ documentName, update, context, transactionOrigin }: onChangePayload) {
      if (redis && transactionOrigin === redis.redisTransactionOrigin) return Promise.resolve();
      const ctx = context as Partial<CollabContext> | undefined;
      durable.changed(documentName, update, transactionOrigin, ctx);
      const list = changeLog.get(documentName) ?? [];
      list.push({ userId: actorUserId(ctx?.actor), update, at: new Date(), restoredFrom: ctx?.restoredFrom ?? null });
      changeLog.set(documentName, list);
      return Promise.resolve();
    },
    async afterLoadDocument({ documentName, document }) {
      const ref = resolveDocument(documentName, kinds);
      if (!ref?.kind.initialize) return;
      // Origin with a system context, so the change is recorded as the server's.
      const origin = { context: { actor: SYSTEM_ACTOR, access: 'edit' } satisfies CollabContext };
      ref.kind.initialize(document, origin);
    },
    async afterUnloadDocument({ documentName }) {
      // Anything left was stored by the last store (or is lost with the document if that failed).
      if (!dirty.has(documentName)) changeLog.delete(documentName);
      owners.delete(documentName);
    }
  };

  // The Database extension with a typed fetch, plus: stores encode the live
  // document themselves, when a store slot is free (the extension's own
  // onStoreDocument encodes it before `store` and that state could be older
  // than the changes taken with it); and a last chance for a dirty document
  // before it leaves memory (e.g. the database was down during its last store
  // and came back while the document sat idle).
  class Persistence extends Database {
    async onStoreDocument({ documentName, document }: onStoreDocumentPayload) {
      await persistWithRetry(documentName, document);
    }
    async beforeUnloadDocument({ document }: beforeUnloadDocumentPayload) {
      await storeIfDirty(document);
    }
    // Hocuspocus stores only changes that came from this node's own
    // connections; store changes that arrived from other nodes as well (see RedisSync).
    async onChange(data: onChangePayload) {
      if (redis && data.transactionOrigin === redis.redisTransactionOrigin) {
        void data.instance.storeDocumentHooks(data.document, data);
      }
    }
  }
  const persistence = new Persistence({
    async fetch({ documentName }) {
      // Throw rather than return null on errors: an empty document stored over
      // the real one would lose it.
      if (!resolveDocument(documentName, kinds)) {
        throw new AppError('NOT_FOUND', `${documentName}: no document kind matches this name`);
      }
      const [row] = await db
        .select({ state: collabDocuments.state })
        .from(collabDocuments)
        .where(eq(collabDocuments.name, documentName));
      return row?.state ?? null;
    }
  });

  /**
   * The Redis extension, used for what it is for: syncing documents and
   * awareness between nodes. Two changes (checked against 3.4.4):
   * - Its per-document Redis lock around onStoreDocument is off. A node that
   *   misses the lock skips its store silently and never retries, so changes
   *   only it had could be lost, and with Redis down nothing would be stored at
   *   all. Postgres serialises concurrent stores of one document already (the
   *   upsert's row lock, held through the projector), and Persistence stores
   *   after remote changes too, so every node's last store holds all it saw.
   * - Publishing failures are logged, not rethrown: Hocuspocus calls onChange,
   *   onAwarenessUpdate and beforeBroadcastStateless without awaiting them, so
   *   a rejection (Redis down) would be unhandled and end the process.
   */
  class RedisSync extends RedisExtension {
    async onStoreDocument() {}
    async afterStoreDocument() {}
    async onChange(data: onChangePayload) {
      await super.onChange(data).catch((err) => log.warn('redis publish (change) failed:', err?.message ?? err));
    }
    async onAwarenessUpdate(data: onAwarenessUpdatePayload) {
      return super.onAwarenessUpdate(data).catch((err) => {
        log.warn('redis publish (awareness) failed:', err?.message ?? err);
        return undefined;
      });
    }
    async beforeBroadcastStateless(data: beforeBroadcastStatelessPayload) {
      return super.beforeBroadcastStateless(data).catch((err) => {
        log.warn('redis publish (stateless) failed:', err?.message ?? err);
        return 0;
      });
    }
  }

  const redisClients: IORedis[] = [];
  const redis = opts.redisUrl
    ? new RedisSync({
        prefix: `${opts.redisPrefix ?? 'crosslink'}:collab`,
        disconnectDelay: opts.redisDisconnectDelayMs ?? 1000,
        createClient: () => {
          const client = new IORedis(opts.redisUrl!, { connectionName: 'crosslink-collab' });
          client.on('error', (err) => log.warn('redis:', err.message));
          redisClients.push(client);
          // The extension is typed against its own ioredis 5; the client API it uses is the same in 6.
          return client as unknown as RedisInstance;
        }
      })
    : null;

  // ORDER MATTERS. Hocuspocus runs each hook through the extensions in array
  // order (after a stable sort by `priority`, highest first), awaiting each,
  // and stops that hook's chain at the first extension that throws.
  //  1. Redis (priority 1000, so first wherever it is listed): afterLoadDocument
  //     subscribes once the state is loaded; its beforeUnloadDocument waits for
  //     the last sync messages from other nodes, so Persistence's last-chance
  //     store after it includes them.
  //  2. Guard: beforeHandleMessage rejects oversized / corrupt messages before
  //     any later extension sees them and before Hocuspocus applies them.
  //  3. Auth: onAuthenticate refuses (throws: nothing later runs, no document
  //     is loaded) or admits, returning the context (`actor`, `access`) every
  //     later hook receives. AccessWatch (right after it) starts watching each
  //     connection in `connected` and re-checks it when access changes.
  //  4. Persistence (Database): onLoadDocument fills the document, so any
  //     extension added after it sees the stored content in its own
  //     onLoadDocument (add document-shaping extensions after this one);
  //     onStoreDocument writes state + projection.
  //  5. ChangeLog (priority 1001, so in fact first): records each applied
  //     change with its author synchronously in onChange; initialises new
  //     documents of kinds that want it in afterLoadDocument (after
  //     Persistence's onLoadDocument has filled them).
  //  6. Internal API (onRequest): server-side changes from the web app and
  //     workers, authenticated with the caller's token (internal-api.ts).
  //  7. UpdateLog (priority 10, so last in every hook): beforeHandleMessage
  //     commits the update to the durable log after every check has passed
  //     and right before Hocuspocus applies and acknowledges it;
  //     onLoadDocument replays the log on top of what Persistence loaded.
  const extensions: Extension[] = [
    ...(redis ? [redis] : []),
    guard,
    auth,
    watch,
    persistence,
    changeRecorder,
    internalApi(() => collab, db),
    // Priority 10: last in every hook, wherever it is listed (update-log.ts).
    durable.extension
  ];

  const server = new Server(
    {
      name: 'crosslink-collab',
      port: opts.port ?? 0,
      address: host,
      quiet: true,
      // index.ts owns signals (one idempotent shutdown); tests must not get handlers.
      stopOnSignals: false,
      debounce: debounceMs,
      maxDebounce: Math.max(opts.maxDebounceMs ?? 10_000, debounceMs),
      // Store as soon as the last client leaves (default, but load-bearing for destroy()).
      unloadImmediately: true,
      extensions
    },
    // Oversized messages are refused by ws while reading (close 1009), never buffered whole.
    { maxPayload: maxMessageBytes }
  );
  const hocuspocus = server.hocuspocus;

  server.webSocketServer.on('connection', (socket) => {
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        events.emit('messageRejected', { documentName: null, reason: 'message-too-big', bytes: null });
      }
    });
  });

  const connectableHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  let listening = false;

  async function flush() {
    await Promise.all(
      [...hocuspocus.documents.values()].map(async (document) => {
        const debounceId = `onStoreDocument-${document.name}`;
        try {
          if (hocuspocus.debouncer.isDebounced(debounceId)) await hocuspocus.debouncer.executeNow(debounceId);
          await document.saveMutex.waitForUnlock();
          await storeIfDirty(document);
        } catch (error) {
          log.error(`flushing ${document.name} failed:`, error);
        }
      })
    );
  }

  /** Shutdown fallback: write every document still in memory, whatever its state. */
  async function storeAllLoaded() {
    await Promise.all(
      [...hocuspocus.documents.values()].map((document) =>
        document.saveMutex.runExclusive(() => persistWithRetry(document.name, document))
      )
    );
  }

  let destroying: Promise<void> | null = null;

  const collab: CollabServer = {
    server,
    hocuspocus,
    events,
    kinds,
    get port() {
      return listening ? server.address.port : 0;
    },
    get url() {
      return `ws://${connectableHost}:${this.port}`;
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.httpServer.once('error', onError);
        server.listen().then(
          () => {
            server.httpServer.off('error', onError);
            resolve();
          },
          (err) => {
            server.httpServer.off('error', onError);
            reject(err);
          }
        );
      });
      listening = true;
      // Access events committed from now on reach this node's connections (bounded: a
      // database that is down must not keep the server from starting; it reconnects).
      await withTimeout(watch.ready, 5_000, 'access-event LISTEN').catch((error) => log.warn(error.message));
      return { port: collab.port, url: collab.url };
    },
    flush,
    isDirty: (documentName) => dirty.has(documentName),
    destroy() {
      destroying ??= (async () => {
        try {
          // Server.destroy(): close the HTTP listener and the WebSocket server,
          // close every client connection (each document's pending store runs
          // at once because unloadImmediately), wait until every document is
          // unloaded, then run onDestroy (the Redis extension quits its clients).
          await withTimeout(server.destroy(), opts.shutdownTimeoutMs ?? 15_000, 'collab-server shutdown');
        } catch (error) {
          log.error('shutdown incomplete, storing every document still loaded:', error);
          await storeAllLoaded();
        } finally {
          await watch.stop();
          for (const socket of server.webSocketServer.clients) socket.terminate();
          server.httpServer.closeAllConnections();
          for (const client of redisClients) client.disconnect();
          listening = false;
        }
      })();
      return destroying;
    }
  };
  return collab;
}

/**
 * Change a live document from the server (imports, workers adding molecules to
 * a board). Opens a Hocuspocus direct connection with context
 * `{ actor, access: 'edit' }` (actor defaults to SYSTEM_ACTOR), runs `fn` in a
 * single Yjs transaction (clients receive one update), stores the document at
 * once and disconnects. `fn` must be synchronous and should validate before it
 * mutates: Yjs has no rollback, changes made before a throw stay.
 * Rejects with SERVICE_UNAVAILABLE when the change is live but could not be
 * stored (it is retried on the next change / flush / unload).
 */
export async function withDocument<T>(
  collab: CollabServer,
  documentName: string,
  fn: (doc: Document) => T,
  options: { actor?: CollabActor; restoredFrom?: number | null } = {}
): Promise<T> {
  if (!resolveDocument(documentName, collab.kinds)) {
    throw new AppError('NOT_FOUND', `${documentName}: no document kind matches this name`);
  }
  const context: CollabContext = { actor: options.actor ?? SYSTEM_ACTOR, access: 'edit', restoredFrom: options.restoredFrom ?? null };
  const connection = await collab.hocuspocus.openDirectConnection(documentName, context);
  let result!: T;
  try {
    await connection.transact((doc) => {
      // The direct connection is the origin, so onChange hooks see its context.
      doc.transact(() => {
        result = fn(doc);
      }, connection);
    });
  } finally {
    await connection.disconnect();
  }
  if (collab.isDirty(documentName)) {
    throw new AppError('SERVICE_UNAVAILABLE', `${documentName} was changed but could not be stored yet`);
  }
  return result;
}

/**
 * Cookie authentication is for Crosslink's own pages: the page's origin must be
 * one of `allowed` (the web app's ORIGIN and COLLAB_ALLOWED_ORIGINS), compared
 * as origins (scheme, host and port). The host name alone is not enough: any
 * other port of the same host can serve a page that is not Crosslink's, and the
 * browser would send it the session cookie (cookies are not port-bound).
 */
export function cookieOriginAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  const page = origin ? originOf(origin) : null;
  return !!page && allowed.some((a) => originOf(a) === page);
}

function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

export type { Access, DocumentKind, DocumentRef, Projector, StoreContext, RecordedChange } from './documents';
