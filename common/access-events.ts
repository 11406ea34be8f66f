/**
 * Access events: Postgres announces every change that can narrow someone's
 * access on the channel `crosslink_access` (triggers in
 * db/migrations/0005_access_events.sql, so it happens on commit and no code
 * path can forget it). `listenAccessEvents` LISTENs on its own connection
 * (a pooled one would be handed to queries and lose the LISTEN) and emits
 * typed events. `followAccessEvents` is what the collab-server and socket.io
 * run on top: re-check the connections an event concerns, everything after a
 * reconnect, and everything every `sweepMs` as a safety net.
 *
 * Notifications sent while the listener is disconnected are lost, so after a
 * reconnect it emits `resync`: listeners then re-check every connection.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { z } from 'zod';

export const ACCESS_CHANNEL = 'crosslink_access';

export const accessEventSchema = z.discriminatedUnion('scope', [
  /** A share of the library changed or went, or the library's member access, owner or existence changed. */
  z.object({ scope: z.literal('library'), libraryId: z.uuid() }),
  /** A membership's role changed or the membership was removed. */
  z.object({ scope: z.literal('membership'), userId: z.uuid(), organizationId: z.uuid() }),
  /** A session ended (signed out, expired, user deleted), was shortened or switched organisation; `credentialId` = sessions.id. */
  z.object({ scope: z.literal('session'), userId: z.uuid(), credentialId: z.string().min(1) }),
  /** An API token was revoked, deleted or its expiry changed; `credentialId` = api_tokens.id. */
  z.object({ scope: z.literal('api_token'), userId: z.uuid(), credentialId: z.uuid() })
]);
export type AccessEvent = z.infer<typeof accessEventSchema>;

export interface AccessEventMap {
  access: [AccessEvent];
  /** Events may have been missed (the listener reconnected): re-check everything. */
  resync: [];
}

export interface AccessEventListener {
  readonly events: EventEmitter<AccessEventMap>;
  /** Resolves once the first LISTEN is in place (events committed from then on arrive). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface ListenOptions {
  log?: Pick<Console, 'warn' | 'error'>;
  /** Waits between reconnect attempts; the last one repeats. Default 250 ms doubling to 5 s. */
  retryDelaysMs?: readonly number[];
}

/** The connection settings of a pool, for a dedicated client beside it. */
function clientConfigOf(pool: pg.Pool, applicationName: string): pg.ClientConfig {
  const { connectionString, host, port, user, password, database, ssl } = pool.options;
  return { connectionString, host, port, user, password, database, ssl, application_name: applicationName };
}

export function listenAccessEvents(config: pg.ClientConfig, options: ListenOptions = {}): AccessEventListener {
  const log = options.log ?? console;
  const delays = options.retryDelaysMs ?? [250, 500, 1000, 2000, 5000];
  const events = new EventEmitter<AccessEventMap>();
  let client: pg.Client | null = null;
  let closed = false;
  let attempt = 0;
  let everListened = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const onNotification = (message: pg.Notification) => {
    if (message.channel !== ACCESS_CHANNEL) return;
    let parsed: ReturnType<typeof accessEventSchema.safeParse>;
    try {
      parsed = accessEventSchema.safeParse(JSON.parse(message.payload ?? ''));
    } catch {
      parsed = accessEventSchema.safeParse(null);
    }
    if (parsed.success) events.emit('access', parsed.data);
    else log.warn(`[access-events] ignoring a malformed notification: ${(message.payload ?? '').slice(0, 200)}`);
  };

  function retry(reason: string) {
    if (closed || retryTimer) return;
    const wait = delays[Math.min(attempt, delays.length - 1)];
    attempt++;
    log.warn(`[access-events] listener lost (${reason}); reconnecting in ${wait} ms`);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, wait);
  }

  async function connect() {
    const c = new pg.Client(config);
    client = c;
    let failed = false;
    const lost = (why: string) => {
      if (failed || client !== c) return;
      failed = true;
      c.removeAllListeners('notification');
      void c.end().catch(() => {});
      client = null;
      retry(why);
    };
    c.on('error', (err) => lost(err.message));
    c.on('end', () => lost('connection ended'));
    c.on('notification', onNotification);
    try {
      await c.connect();
      await c.query(`listen ${ACCESS_CHANNEL}`);
    } catch (error) {
      lost((error as Error).message);
      return;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    attempt = 0;
    if (everListened) events.emit('resync');
    everListened = true;
    markReady();
  }

  void connect();

  return {
    events,
    ready,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const c = client;
      client = null;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
      events.removeAllListeners();
    }
  };
}

/** How a server finds and re-checks its open connections (collab-server connections, socket.io sockets). */
export interface AccessFollower<C> {
  /** The connections open now. */
  connections(): Iterable<C>;
  /** Could `event` have narrowed this connection's access? */
  concerns(event: AccessEvent, connection: C): boolean;
  /** Re-checks one connection; never rejects (it logs its own failures). */
  recheck(connection: C): Promise<void>;
}

export interface FollowOptions extends ListenOptions {
  /** The pool whose settings the LISTEN connection takes. */
  pool: pg.Pool;
  /** `application_name` of the LISTEN connection (pg_stat_activity). */
  applicationName: string;
  /** Re-check every connection this often (expiries, anything missed). Default 60 s. */
  sweepMs?: number;
}

export interface AccessFollowing {
  /** Resolves once the LISTEN is in place. */
  readonly ready: Promise<void>;
  /** Re-checks every open connection. */
  recheckAll(): Promise<void>;
  /** Stops the sweep and the LISTEN. Idempotent. */
  close(): Promise<void>;
}

/**
 * Access follows changes on a server's open connections: LISTENs on a
 * connection of its own and re-checks the connections an event concerns,
 * every connection after the listener reconnected (events may have been
 * missed), and every connection every `sweepMs` as a safety net.
 */
export function followAccessEvents<C>(options: FollowOptions, follower: AccessFollower<C>): AccessFollowing {
  const listener = listenAccessEvents(clientConfigOf(options.pool, options.applicationName), options);
  const recheckAll = async () => {
    await Promise.all([...follower.connections()].map((c) => follower.recheck(c)));
  };
  listener.events.on('access', (event) => {
    for (const connection of follower.connections()) if (follower.concerns(event, connection)) void follower.recheck(connection);
  });
  listener.events.on('resync', () => void recheckAll());
  const sweep = setInterval(() => void recheckAll(), options.sweepMs ?? 60_000);
  sweep.unref();
  return {
    ready: listener.ready,
    recheckAll,
    async close() {
      clearInterval(sweep);
      await listener.close();
    }
  };
}
