/**
 * Production web entry: `npm run build`, then `tsx web/server.ts`.
 *
 * A custom server for adapter-node (svelte.dev/docs/kit/adapter-node#Custom-server):
 * one `http` server serves SvelteKit's `handler` from build/handler.js and
 * socket.io (path /socket.io) on HOST:PORT.
 *
 * Env (common/env.ts `webEnvSchema`): DATABASE_URL, REDIS_URL, REDIS_PREFIX,
 * HOST, PORT, BODY_SIZE_LIMIT, REQUEST_BODY_LIMIT. SvelteKit's handler also reads, from
 * process.env:
 *   - ORIGIN, e.g. `https://crosslink.example.com` (or `http://localhost:3000`
 *     locally). Without it adapter-node assumes `https://<Host header>`, so
 *     form posts over plain http fail SvelteKit's CSRF origin check;
 *   - or, behind a reverse proxy that sets them, PROTOCOL_HEADER=x-forwarded-proto
 *     and HOST_HEADER=x-forwarded-host (and ADDRESS_HEADER/XFF_DEPTH for the
 *     client IP). Only set these when a trusted proxy always overwrites them.
 * Without ADDRESS_HEADER the client address (sign-in rate limits, audit) is the
 * socket's peer: an X-Forwarded-For sent by a client is never believed.
 *
 * Bodies (src/lib/server/body-limit.ts): adapter-node's BODY_SIZE_LIMIT is the
 * upload limit (default from the schema; adapter-node's own would be 512K),
 * and only the import upload routes get it; every other route answers 413 past
 * REQUEST_BODY_LIMIT before reading further.
 *
 * Compression: `compression` (gzip, or brotli when the client prefers it) for
 * responses over 1 KB of compressible types, flushed per write so streamed
 * pages still stream. Not for text/event-stream, not for what is already
 * encoded (adapter-node's precompressed assets), and socket.io, which takes its
 * requests before this handler, is untouched.
 *
 * SIGTERM/SIGINT: stop accepting, disconnect sockets, let in-flight requests
 * finish (up to SHUTDOWN_TIMEOUT seconds, default 30), end both pools (socket.io's
 * and the app's), Redis and the queues (src/lib/server/context.ts `closeContext`),
 * and end with nothing left open, exit code 0. Should something still hold the
 * event loop, it is named in a warning and the process exits anyway.
 *
 * Logs through common/log.ts (LOG_LEVEL, LOG_FORMAT), as `web`.
 */
import compression from 'compression';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { loadEnv, webEnvSchema } from '../common/env';
import { createLogger } from '../common/log';
import { closeDb, createDb } from '../db/client';
import { attachSocketServer } from './realtime/socket-server';
import { admitBody, type BodyLimits } from './src/lib/server/body-limit';

type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse, next?: () => void) => void;

const env = loadEnv(webEnvSchema, 'web');
const log = createLogger('web', env);
// adapter-node reads these itself when build/handler.js is imported.
process.env.BODY_SIZE_LIMIT ??= String(env.BODY_SIZE_LIMIT);
if (!process.env.ORIGIN && !process.env.PROTOCOL_HEADER) {
  log.warn(
    'ORIGIN is not set (nor PROTOCOL_HEADER/HOST_HEADER): SvelteKit will assume https://<host>; ' +
      'set ORIGIN=http://localhost:' + env.PORT + ' when serving plain http.'
  );
}

const handlerUrl = new URL('../build/handler.js', import.meta.url);
if (!existsSync(fileURLToPath(handlerUrl))) {
  log.error(`${fileURLToPath(handlerUrl)} not found: run \`npm run build\` first.`);
  process.exit(1);
}
const { handler } = (await import(handlerUrl.href)) as { handler: NodeHandler };

const bodyLimits: BodyLimits = { requestBytes: env.REQUEST_BODY_LIMIT, uploadBytes: env.BODY_SIZE_LIMIT };

const compress = compression({
  filter: (req, res) => !String(res.getHeader('Content-Type') ?? '').startsWith('text/event-stream') && compression.filter(req, res),
  // Flush per write: a streamed page or export keeps arriving as it is produced.
  flush: zlib.constants.Z_SYNC_FLUSH,
  brotli: { flush: zlib.constants.BROTLI_OPERATION_FLUSH }
}) as unknown as NodeHandler;

function serve(req: http.IncomingMessage, res: http.ServerResponse) {
  compress(req, res, () =>
    handler(req, res, () => {
      res.statusCode = 404;
      res.end('Not found');
    })
  );
}

const db = createDb(env.DATABASE_URL, { max: 5, applicationName: 'crosslink-web-realtime', log: log.child('db') });
const server = http.createServer((req, res) => {
  if (admitBody(req, res, bodyLimits)) serve(req, res);
});
// `Expect: 100-continue`: refuse an oversized body before the client sends it.
server.on('checkContinue', (req, res) => {
  if (!admitBody(req, res, bodyLimits)) return;
  res.writeContinue();
  serve(req, res);
});
// Not awaited before listening: socket.io takes its path at once, and waits (up to its
// ready timeout) for Redis and the access-event listener; pages and the API need not
// wait for that (with Postgres down they answer 503 meanwhile instead of nothing at all).
const realtime = attachSocketServer(server, {
  db,
  redisUrl: env.REDIS_URL,
  prefix: env.REDIS_PREFIX,
  allowedOrigins: env.ORIGIN ? [env.ORIGIN] : [],
  log: log.child('realtime')
});
realtime.catch((err) => {
  log.error('socket.io could not start:', err);
  process.exit(1);
});

server.listen(env.PORT, env.HOST, () => {
  const address = server.address();
  const where = typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address);
  log.info(`listening on http://${where} (socket.io at /socket.io)`);
});
server.on('error', (err) => {
  log.error('http server:', err);
  process.exit(1);
});

/** The app's own resources (pool, Redis, queues) live in the bundle's copy of context.ts, which registers this. */
const closeAppContext = async () => {
  const close = (globalThis as Record<symbol, (() => Promise<void>) | undefined>)[Symbol.for('crosslink.web.closeContext')];
  await close?.();
};

const shutdownTimeoutMs = env.SHUTDOWN_TIMEOUT * 1000;
let shuttingDown = false;
async function shutdown(signal: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  log.info(`${signal}: shutting down`);
  const force = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs);
  force.unref();
  const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await realtime.then((r) => r.close()).catch((err) => log.error('closing socket.io:', err));
  await httpClosed;
  clearTimeout(force);
  await Promise.allSettled([closeDb(db), closeAppContext()]);
  log.info('stopped');
  // Everything is closed, so the process ends by itself now (exit code 0). Anything
  // still holding the event loop is a leak: name it, then exit regardless.
  setTimeout(() => {
    log.warn(`still open after shutdown: ${process.getActiveResourcesInfo().join(', ')}; exiting anyway`);
    process.exit(0);
  }, 2000).unref();
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
