/**
 * socket.io for the web app: one typed server per web process, attached to
 * the same HTTP server as SvelteKit (path /socket.io), clustered through
 * `@socket.io/redis-adapter` so events emitted anywhere — another web node,
 * or the workers' `@socket.io/redis-emitter` — reach the sockets here.
 *
 * Authentication (handshake middleware), the same `authenticateToken` as the
 * rest of the app:
 *   - `socket.handshake.auth.token`: session token or `clk_` API token;
 *   - `Authorization: Bearer <token>` header (non-browser clients);
 *   - the `crosslink_session` cookie (browsers on the same origin). Cookie
 *     connections must come from the app's own origin (Origin host equal to
 *     the Host header, or listed in `allowedOrigins`), against cross-site
 *     WebSocket hijacking.
 * A refused connection gets `connect_error` with `err.message` and
 * `err.data = { code, message }` (AppError codes).
 *
 * Each socket joins `user:<id>` and `org:<active organisation id>`.
 *
 * Access follows changes (common/access-events.ts): when a socket's session
 * ends or its token is revoked (or a membership of its user changes, or the
 * session switches organisation), it is re-authenticated with the token it
 * connected with; if that fails it gets `access:ended` with the reason and
 * is disconnected, otherwise it moves to the organisation room it now
 * belongs to (leaving the old one). Every socket is also re-checked every
 * 60 s (expiry, and events missed while the listener reconnected).
 */
import type { Server as HttpServer } from 'node:http';
import { Redis } from 'ioredis';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { followAccessEvents, type AccessEvent } from '../../common/access-events';
import { accessLossMessage } from '../../common/collab-notices';
import { AppError, type ErrorCode } from '../../common/errors';
import {
  REALTIME_PATH,
  orgRoom,
  realtimeRedisKey,
  userRoom,
  type ClientToServerEvents,
  type InterServerEvents,
  type NotificationsReadAck,
  type ServerToClientEvents,
  type SocketData
} from '../../common/realtime-events';
import { authenticateToken, readCookie, SESSION_COOKIE } from '../../db/auth';
import type { Db } from '../../db/client';
import type { Logger } from '../../common/log';
import { markNotificationsRead, unreadCount } from '../../db/access/notifications';

export { readCookie, SESSION_COOKIE };

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface AttachSocketServerOptions {
  db: Db;
  redisUrl: string;
  /** REDIS_PREFIX; must equal the workers' so their events arrive. */
  prefix: string;
  /** Extra origins (e.g. ORIGIN) allowed to connect with the session cookie. */
  allowedOrigins?: readonly string[];
  /** Passed to socket.io's Server (path and adapter are fixed). */
  serverOptions?: Partial<Omit<ServerOptions, 'path' | 'adapter'>>;
  /** How long to wait for the Redis subscription before starting without it. Default 10 s. */
  readyTimeoutMs?: number;
  /** The process's logger (web/server.ts passes its `realtime` child). */
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface AttachedSocketServer {
  io: RealtimeServer;
  /**
   * Disconnect this node's sockets, leave the Redis channels and quit the
   * Redis clients. Does not close the HTTP server (its owner does). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Resolves once the adapter's Redis subscription is active (events published
 * from then on arrive), or after `readyTimeoutMs` if Redis is unreachable.
 */
export async function attachSocketServer(
  httpServer: HttpServer,
  options: AttachSocketServerOptions
): Promise<AttachedSocketServer> {
  const { db } = options;
  const { log } = options;
  const pubClient = new Redis(options.redisUrl, { connectionName: 'crosslink-socketio-pub' });
  const subClient = pubClient.duplicate({ connectionName: 'crosslink-socketio-sub' });
  pubClient.on('error', (err) => log.error('redis pub:', err));
  subClient.on('error', (err) => log.error('redis sub:', err));
  // The adapter fires `publish` without handling its promise; during a Redis
  // outage that would be an unhandled rejection (a crash). Log it instead.
  const publish = pubClient.publish.bind(pubClient) as (channel: string, message: string | Buffer) => Promise<number>;
  (pubClient as unknown as { publish: typeof publish }).publish = (channel, message) =>
    publish(channel, message).catch((err: Error) => {
      log.error('redis publish:', err);
      return 0;
    });

  const io: RealtimeServer = new Server(httpServer, {
    serveClient: false,
    ...options.serverOptions,
    path: REALTIME_PATH,
    adapter: createAdapter(pubClient, subClient, { key: realtimeRedisKey(options.prefix) })
  });
  const allowedOrigins = new Set((options.allowedOrigins ?? []).map((o) => safeOrigin(o)).filter(Boolean));

  io.use(async (socket, next) => {
    try {
      const credential = credentialFrom(socket.handshake);
      if (!credential) return next(refusal('AUTHENTICATION_ERROR', 'Sign in or send a valid token'));
      if (credential.via === 'cookie' && !sameOrigin(socket.handshake.headers, allowedOrigins)) {
        return next(refusal('AUTHORIZATION_ERROR', 'Cross-origin connections must send a token'));
      }
      const actor = await authenticateToken(db, credential.token);
      if (!actor) return next(refusal('AUTHENTICATION_ERROR', 'The session or token is unknown, expired or revoked'));
      socket.data = {
        userId: actor.user.id,
        organizationId: actor.organization?.id ?? null,
        role: actor.role,
        via: actor.via
      };
      // Kept beside the socket, not in socket.data (which the adapter hands to other nodes).
      credentials.set(socket, { token: credential.token, id: actor.credentialId });
      next();
    } catch (err) {
      log.error('authenticating a connection failed:', err);
      next(refusal('SERVICE_UNAVAILABLE', 'Could not check your session; try again'));
    }
  });

  /** The token each local socket authenticated with, for re-checks. */
  const credentials = new WeakMap<RealtimeSocket, { token: string; id: string }>();

  /** Re-authenticate one socket: disconnect it when its credential ended, else follow its organisation. */
  async function recheck(socket: RealtimeSocket) {
    const credential = credentials.get(socket);
    if (!credential || socket.disconnected) return;
    const actor = await authenticateToken(db, credential.token);
    if (socket.disconnected) return;
    if (!actor) {
      const reason = socket.data.via === 'session' ? 'signed-out' : 'token-revoked';
      // The same words the boards show (a credential's end names no document).
      socket.emit('access:ended', { reason, message: accessLossMessage(reason, 'app') });
      socket.disconnect(true);
      return;
    }
    const organizationId = actor.organization?.id ?? null;
    if (organizationId !== socket.data.organizationId) {
      if (socket.data.organizationId) socket.leave(orgRoom(socket.data.organizationId));
      if (organizationId) socket.join(orgRoom(organizationId));
    }
    socket.data = { ...socket.data, organizationId, role: actor.role };
  }
  /** Library events concern boards, not sockets; the rest concern a user's or a credential's sockets. */
  const concerns = (event: AccessEvent, socket: RealtimeSocket) =>
    event.scope === 'membership' ? socket.data.userId === event.userId : event.scope !== 'library' && credentials.get(socket)?.id === event.credentialId;
  const access = followAccessEvents(
    { pool: db.$client, applicationName: 'crosslink-socketio-access', log },
    {
      connections: () => io.of('/').sockets.values(),
      concerns,
      recheck: (socket) => recheck(socket).catch((err: Error) => log.warn(`re-checking socket ${socket.id} failed:`, err))
    }
  );

  io.on('connection', (socket) => {
    const { userId, organizationId } = socket.data;
    socket.join(userRoom(userId));
    if (organizationId) socket.join(orgRoom(organizationId));

    socket.on('notifications:read', async (ids, ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const valid =
        ids === 'all' ||
        (Array.isArray(ids) && ids.length <= 500 && ids.every((id) => typeof id === 'string' && id.length <= 64));
      if (!valid) {
        return reply({ ok: false, error: { code: 'VALIDATION_ERROR', message: 'Send "all" or up to 500 notification ids' } });
      }
      try {
        const updated = await markNotificationsRead(db, userId, ids);
        const unread = await unreadCount(db, userId);
        reply({ ok: true, updated, unread } satisfies NotificationsReadAck);
        // Other tabs of the same user (on any node) update their badge.
        if (updated) io.to(userRoom(userId)).except(socket.id).emit('notifications:unread', { count: unread });
      } catch (err) {
        log.error('notifications:read failed:', err);
        reply({ ok: false, error: { code: 'INTERNAL_ERROR', message: 'Could not mark notifications read' } });
      }
    });
  });

  // The adapter sent its SUBSCRIBE/PSUBSCRIBE on construction; a PING on the
  // same connection answers only after they are processed. If Redis is not
  // reachable yet, start anyway: ioredis subscribes when it connects.
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const subscribed = await Promise.race([
    subClient.ping().then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), readyTimeoutMs)))
  ]).finally(() => clearTimeout(timer));
  if (!subscribed) log.warn(`Redis not reachable after ${readyTimeoutMs} ms; socket.io starts without it`);
  const listening = await Promise.race([
    access.ready.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), readyTimeoutMs)))
  ]).finally(() => clearTimeout(timer));
  if (!listening) log.warn(`access events not heard yet after ${readyTimeoutMs} ms; sockets are re-checked every sweep until they are`);

  let closing: Promise<void> | undefined;
  return {
    io,
    close() {
      closing ??= (async () => {
        await access.close();
        io.local.disconnectSockets(true);
        await Promise.allSettled([...io._nsps.values()].map((nsp) => nsp.adapter.close()));
        io.engine.close();
        await Promise.allSettled([pubClient.quit(), subClient.quit()]);
      })();
      return closing;
    }
  };
}

type HandshakeHeaders = Record<string, string | string[] | undefined>;

function credentialFrom(handshake: {
  auth: Record<string, unknown>;
  headers: HandshakeHeaders;
}): { token: string; via: 'auth' | 'bearer' | 'cookie' } | null {
  const auth = handshake.auth?.token;
  if (typeof auth === 'string' && auth) return { token: auth, via: 'auth' };
  const authorization = header(handshake.headers, 'authorization');
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  if (bearer) return { token: bearer, via: 'bearer' };
  const cookie = readCookie(header(handshake.headers, 'cookie'), SESSION_COOKIE);
  if (cookie) return { token: cookie, via: 'cookie' };
  return null;
}

function header(headers: HandshakeHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}


function safeOrigin(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return '';
  }
}

/** No Origin (non-browser client) or an Origin on the host the request was sent to, or an allowed one. */
function sameOrigin(headers: HandshakeHeaders, allowed: Set<string>): boolean {
  const origin = header(headers, 'origin');
  if (!origin) return true;
  const normalized = safeOrigin(origin);
  if (!normalized) return false;
  if (allowed.has(normalized)) return true;
  const host = header(headers, 'x-forwarded-host')?.split(',')[0]?.trim() || header(headers, 'host');
  return !!host && new URL(normalized).host === host;
}

function refusal(code: ErrorCode, message: string): Error & { data: { code: ErrorCode; message: string } } {
  const err = new AppError(code, message);
  return Object.assign(new Error(message), { data: { code: err.code, message: err.message } });
}
