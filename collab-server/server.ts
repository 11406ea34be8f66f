/**
 * Crosslink collab-server: a Hocuspocus 3.4 WebSocket server for the live Yjs
 * documents teams and their CROs co-edit (library boards, submission drafts,
 * quotes, team notes).
 *
 * This file assembles the server: one module per extension under core/
 * (guard, auth, access watch, persistence, change log, Redis sync, update
 * log) sharing one store-state object (core/state.ts), built in the ordered
 * list below. What a document kind opts into (projection, history, versions,
 * restore, mentions) are services under services/; the kinds themselves are
 * folders under kinds/, listed in documents.ts.
 *
 * - Names and access: a document name is `<kind>:<id>…`; `documents.ts` is the
 *   registry of kinds (core/kind.ts `DocumentKind`: pattern, `authorize`,
 *   owning organisation, the services it uses). Unknown kinds are refused everywhere.
 * - Authentication: the provider's `token` (session token or `clk_…` API
 *   token) goes through `authenticateToken`; the kind decides `edit` / `read`
 *   (read => `connectionConfig.readOnly`, Hocuspocus drops that client's
 *   updates) or refuses. Refusals reach the client as `authenticationFailed`
 *   with `reason` = `unauthenticated` | `forbidden` | `unknown-document`.
 *   `context.actor` (and `context.access`) is available to every later hook.
 * - Persistence (core/persistence.ts): `@hocuspocus/extension-database` with
 *   typed fetch/store on `collab_documents`. A store decodes the state first
 *   (a state that does not decode is never written), then upserts it and runs
 *   the kind's projection and history in ONE Postgres transaction; a failing
 *   service rolls the state back. Failed
 *   stores are retried, the document is kept "dirty" and stored again on the
 *   next change, on `flush()` and before it is unloaded. After a store the
 *   document's clients get a `stored` stateless notice (common/collab-notices.ts).
 * - Durability (core/update-log.ts): every update is appended to `collab_updates`
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
 *   server's (core/client-messages.ts): client stateless messages, presence naming
 *   another user and new comment/card authorship naming another user close
 *   the connection with 4403 before anything is applied or relayed.
 * - Access follows changes (core/access-watch.ts): access events from Postgres,
 *   expiry timers and a periodic sweep re-check open connections; read access
 *   makes them read-only, no access closes them, with a reason for the page.
 * - Redis (`redisUrl`): `@hocuspocus/extension-redis` syncs documents and
 *   awareness between nodes under `<redisPrefix>:collab:`. Its store lock is
 *   switched off (core/redis-sync.ts) and each node also stores changes that reached
 *   it from other nodes, so no node's changes depend on winning a lock. Its
 *   two ioredis connections are closed on `destroy()`.
 * - Server-side edits: `withDocument(collab, name, fn)` (direct connection,
 *   context `{ actor: SYSTEM_ACTOR }`) and `restoreVersion` (services/).
 *
 * Relies on Hocuspocus 3.4 internals (checked against 3.4.4): the debouncer
 * id `onStoreDocument-<name>` (flush), `Server.destroy()` resolving once every
 * document is unloaded, the Redis extension's hook names and transaction
 * origin (core/redis-sync.ts), and a sync update being applied and acknowledged right
 * after the `beforeHandleMessage` hooks resolve (core/update-log.ts). Re-check them
 * when upgrading Hocuspocus.
 */
import type { EventEmitter } from 'node:events';
import { type Hocuspocus, Server, type Extension } from '@hocuspocus/server';
import { collabEnvSchema } from '../common/env';
import type { QueueClient } from '../common/queues';
import type { Db } from '../db/client';
import { documentKinds } from './documents';
import { accessWatch } from './core/access-watch';
import { authentication } from './core/auth';
import { changeLog } from './core/change-log';
import type { CollabEvents, CollabLogger } from './core/context';
import { messageGuard } from './core/guard';
import type { DocumentKind, Projector } from './core/kind';
import { persistence } from './core/persistence';
import { redisSync } from './core/redis-sync';
import { createStoreState } from './core/state';

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

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createCollabServer(opts: CollabServerOptions): CollabServer {
  const { db } = opts;
  const host = opts.host ?? '127.0.0.1';
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const state = createStoreState({
    db,
    kinds: opts.kinds ?? documentKinds,
    projectors: opts.projectors ?? {},
    log: opts.logger ?? consoleLogger,
    concurrentStores: opts.concurrentStores ?? 4
  });
  const { kinds, log, events, dirty } = state;

  const redis = opts.redisUrl
    ? redisSync(state, { redisUrl: opts.redisUrl, prefix: opts.redisPrefix ?? 'crosslink', disconnectDelayMs: opts.redisDisconnectDelayMs ?? 1000 })
    : null;
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
  const store = persistence(state, {
    storeRetryDelaysMs: opts.storeRetryDelaysMs ?? [250, 1000],
    queues: opts.queues,
    hocuspocus: () => server.hocuspocus
  });

  // ORDER MATTERS. Hocuspocus runs each hook through the extensions in array
  // order (after a stable sort by `priority`, highest first), awaiting each,
  // and stops that hook's chain at the first extension that throws.
  //  1. Redis sync (priority 1000, so first wherever it is listed):
  //     afterLoadDocument subscribes once the state is loaded; its
  //     beforeUnloadDocument waits for the last sync messages from other
  //     nodes, so Persistence's last-chance store after it includes them.
  //  2. Guard: beforeHandleMessage rejects oversized / corrupt / forged
  //     messages before any later extension sees them and before Hocuspocus
  //     applies them.
  //  3. Auth: onAuthenticate refuses (throws: nothing later runs, no document
  //     is loaded) or admits, returning the context (`actor`, `access`) every
  //     later hook receives. AccessWatch (right after it) starts watching each
  //     connection in `connected` and re-checks it when access changes.
  //  4. Persistence (Database): onLoadDocument fills the document, so any
  //     extension added after it sees the stored content in its own
  //     onLoadDocument (add document-shaping extensions after this one);
  //     onStoreDocument writes state + the kind's services.
  //  5. ChangeLog (priority 1001, so in fact first): records each applied
  //     change with its author synchronously in onChange, before the store it
  //     belongs to can start; initialises new documents of kinds that want it
  //     in afterLoadDocument (after Persistence's onLoadDocument has filled them).
  //  (Server-side changes from web and workers arrive on a listener of their
  //  own, internal-api.ts, never on this public port.)
  //  6. UpdateLog (priority 10, so last in every hook): beforeHandleMessage
  //     commits the update to the durable log after every check has passed
  //     and right before Hocuspocus applies and acknowledges it;
  //     onLoadDocument replays the log on top of what Persistence loaded.
  const extensions: Extension[] = [
    ...(redis ? [redis.extension] : []),
    messageGuard(state, { maxMessageBytes }),
    authentication(state, { allowedOrigins: opts.allowedOrigins ?? [] }),
    watch,
    store.extension,
    changeLog(state),
    // Priority 10: last in every hook, wherever it is listed (core/update-log.ts).
    state.durable.extension
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
          await store.storeIfDirty(document);
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
        document.saveMutex.runExclusive(() => store.persistWithRetry(document.name, document))
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
          for (const client of redis?.clients ?? []) client.disconnect();
          listening = false;
        }
      })();
      return destroying;
    }
  };
  return collab;
}

export { cookieOriginAllowed } from './core/auth';
export {
  actorUserId,
  SYSTEM_ACTOR,
  type CollabActor,
  type CollabContext,
  type CollabEvents,
  type CollabLogger,
  type RefusalReason,
  type SystemActor
} from './core/context';
export { withDocument, type LiveDocuments } from './services/server-changes';
export { restoreVersion } from './services/versions';
export type { Access, DocumentKind, DocumentRef, Projector, StoreContext, RecordedChange } from './core/kind';
