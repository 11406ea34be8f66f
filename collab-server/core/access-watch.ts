/**
 * Access follows changes on open connections. A connection's access is
 * decided when it opens (CrosslinkAuth) and again here whenever it may have
 * narrowed:
 *  - an access event from Postgres (common/access-events.ts: a share changed
 *    or went, a membership changed or went, a session ended, a token was
 *    revoked) re-checks the connections it concerns, on every node (each node
 *    LISTENs itself);
 *  - a timer at the connection's session / API token expiry;
 *  - after the listener reconnected (events may have been missed), and every
 *    60 s as a safety net, every connection (`followAccessEvents`).
 * A re-check runs the same two steps as the first check: `authenticateToken`
 * with the connection's credential (kept in the context under a symbol, so
 * it is never logged or serialised) and the kind's `authorize`. Read access
 * turns the connection read-only at once (`connection.readOnly`: Hocuspocus
 * drops its updates from the next message on); no access closes it. Either
 * way the client first gets an `access` notice saying why
 * (common/collab-notices.ts), which the page shows.
 *
 * Access that widened is left as it is until the page is reloaded.
 */
import type { Connection, Extension } from '@hocuspocus/server';
import { eq } from 'drizzle-orm';
import { followAccessEvents, type AccessEvent } from '../../common/access-events';
import { accessLossMessage, accessNotice, type AccessLossReason } from '../../common/collab-notices';
import { authenticateToken, type Actor } from '../../db/auth';
import type { Db } from '../../db/client';
import { apiTokens } from '../../db/schema';
import { resolveIn, type Access, type DocumentKind } from './kind';

/** Where a client connection's token is kept in its context (symbol keys survive Hocuspocus's context spread). */
export const CREDENTIAL: unique symbol = Symbol('crosslink.credential');

/** The part of a connection's context this module reads and updates. */
interface WatchedContext {
  actor: Actor;
  access: Access;
  [CREDENTIAL]?: string;
}

export interface AccessChange {
  documentName: string;
  userId: string;
  access: 'read' | 'none';
  reason: AccessLossReason;
}

export interface AccessWatchOptions {
  db: Db;
  kinds: readonly DocumentKind[];
  log: { warn(...args: unknown[]): void; error(...args: unknown[]): void };
  /** Told after a connection was downgraded or closed. */
  onChange?(change: AccessChange): void;
}

/** Longest timer Node accepts (about 24.8 days); later expiries are re-armed by the sweep's re-checks. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Close code for a connection whose access ended (Hocuspocus's Forbidden). */
const ACCESS_ENDED = 4403;

function concerns(event: AccessEvent, connection: Connection, ctx: WatchedContext, kinds: readonly DocumentKind[]): boolean {
  switch (event.scope) {
    case 'membership':
      return ctx.actor.user.id === event.userId;
    case 'session':
    case 'api_token':
      return ctx.actor.credentialId === event.credentialId;
    default: {
      // About something a kind owns (e.g. a library's shares): that kind says which documents.
      const ref = resolveIn(connection.document.name, kinds);
      return !!ref?.kind.concerns?.(event, ref.id);
    }
  }
}

export function accessWatch(opts: AccessWatchOptions): Extension & { ready: Promise<void>; stop(): Promise<void> } {
  const { db, kinds, log } = opts;
  /** Client connections with a credential, and their expiry timers. */
  const watched = new Map<Connection, NodeJS.Timeout | null>();
  /** Re-checks in flight, and connections to check once more when theirs ends (an event arrived meanwhile). */
  const running = new Map<Connection, Promise<void>>();
  const again = new Set<Connection>();

  const contextOf = (connection: Connection) => connection.context as WatchedContext;

  function recheck(connection: Connection): Promise<void> {
    const current = running.get(connection);
    if (current) {
      again.add(connection);
      return current;
    }
    const run = check(connection)
      .catch((error) => log.warn(`re-checking access of ${connection.socketId} on ${connection.document.name} failed:`, error))
      .finally(() => {
        running.delete(connection);
        if (again.delete(connection) && watched.has(connection)) void recheck(connection);
      });
    running.set(connection, run);
    return run;
  }

  async function check(connection: Connection) {
    const ctx = contextOf(connection);
    const credential = ctx[CREDENTIAL];
    if (!credential || !watched.has(connection)) return;
    const actor = await authenticateToken(db, credential);
    if (!watched.has(connection)) return;
    if (!actor) return end(connection, ctx.actor.via === 'session' ? 'signed-out' : 'token-revoked');
    const ref = resolveIn(connection.document.name, kinds);
    const access = ref ? await ref.kind.authorize(db, actor, ref.id) : null;
    if (!watched.has(connection)) return;
    ctx.actor = actor;
    if (!access) return end(connection, 'access-removed');
    if (access === 'read' && !connection.readOnly) {
      connection.readOnly = true;
      ctx.access = 'read';
      tell(connection, 'read', 'access-lowered');
    }
    await armExpiry(connection, actor);
  }

  function tell(connection: Connection, access: 'read' | 'none', reason: AccessLossReason) {
    const noun = resolveIn(connection.document.name, kinds)?.kind.noun ?? 'document';
    const message = accessLossMessage(reason, noun);
    connection.sendStateless(accessNotice(access, reason, message));
    opts.onChange?.({ documentName: connection.document.name, userId: contextOf(connection).actor.user.id, access, reason });
    return message;
  }

  function end(connection: Connection, reason: AccessLossReason) {
    unwatch(connection);
    const message = tell(connection, 'none', reason);
    // Sends Hocuspocus's close message with the reason; the WebSocket stays
    // open for the client's other documents, and this one needs a new,
    // refused, authentication before anything of it is handled again.
    connection.close({ code: ACCESS_ENDED, reason: message });
  }

  /** A timer at the credential's expiry (sessions slide forward: the re-check then finds it renewed and re-arms). */
  async function armExpiry(connection: Connection, actor: Actor) {
    let expiresAt: Date | null | undefined = actor.sessionExpiresAt;
    if (actor.via === 'api_token') {
      const [row] = await db.select({ expiresAt: apiTokens.expiresAt }).from(apiTokens).where(eq(apiTokens.id, actor.credentialId));
      expiresAt = row?.expiresAt;
    }
    if (!watched.has(connection)) return;
    const previous = watched.get(connection);
    if (previous) clearTimeout(previous);
    if (!expiresAt) return void watched.set(connection, null);
    // A little after the instant, so the credential is expired when checked.
    const wait = Math.min(Math.max(expiresAt.getTime() - Date.now() + 20, 0), MAX_TIMER_MS);
    const timer = setTimeout(() => void recheck(connection), wait);
    timer.unref();
    watched.set(connection, timer);
  }

  function unwatch(connection: Connection) {
    const timer = watched.get(connection);
    if (timer) clearTimeout(timer);
    watched.delete(connection);
    again.delete(connection);
  }

  const following = followAccessEvents(
    { pool: db.$client, applicationName: 'crosslink-collab-access', log },
    { connections: () => watched.keys(), concerns: (event, connection) => concerns(event, connection, contextOf(connection), kinds), recheck }
  );

  async function stop() {
    for (const connection of [...watched.keys()]) unwatch(connection);
    await following.close();
  }

  return {
    extensionName: 'CrosslinkAccessWatch',
    async connected({ connection }) {
      const ctx = contextOf(connection);
      if (!ctx?.[CREDENTIAL]) return;
      watched.set(connection, null);
      connection.onClose(() => unwatch(connection));
      // An event committed between authentication and now found no connection to
      // re-check; the sweep catches that (rare) case rather than every connect paying twice.
      await armExpiry(connection, ctx.actor);
    },
    async onDestroy() {
      await stop();
    },
    ready: following.ready,
    stop
  };
}
