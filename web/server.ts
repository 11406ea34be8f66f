/**
 * Production web entry: `npm run build`, then `tsx web/server.ts`.
 *
 * A custom server for adapter-node (svelte.dev/docs/kit/adapter-node#Custom-server):
 * one `http` server serves SvelteKit's `handler` from build/handler.js and
 * socket.io (path /socket.io) on HOST:PORT.
 *
 * Env (common/env.ts `webEnvSchema`): DATABASE_URL, REDIS_URL, REDIS_PREFIX,
 * HOST, PORT, BODY_SIZE_LIMIT. SvelteKit's handler also reads, from
 * process.env:
 *   - ORIGIN, e.g. `https://crosslink.example.com` (or `http://localhost:3000`
 *     locally). Without it adapter-node assumes `https://<Host header>`, so
 *     form posts over plain http fail SvelteKit's CSRF origin check;
 *   - or, behind a reverse proxy that sets them, PROTOCOL_HEADER=x-forwarded-proto
 *     and HOST_HEADER=x-forwarded-host (and ADDRESS_HEADER/XFF_DEPTH for the
 *     client IP). Only set these when a trusted proxy always overwrites them.
 * BODY_SIZE_LIMIT defaults to the schema's value here (adapter-node's own
 * default would be 512K).
 *
 * SIGTERM/SIGINT: stop accepting, disconnect sockets, let in-flight requests
 * finish (up to SHUTDOWN_TIMEOUT seconds, default 30), end the pool, exit 0.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { loadEnv, webEnvSchema } from '../common/env';
import { closeDb, createDb } from '../db/client';
import { attachSocketServer } from './realtime/socket-server';

type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse, next?: () => void) => void;

const env = loadEnv(webEnvSchema, 'web');
// adapter-node reads these itself when build/handler.js is imported.
process.env.BODY_SIZE_LIMIT ??= String(env.BODY_SIZE_LIMIT);
if (!process.env.ORIGIN && !process.env.PROTOCOL_HEADER) {
  console.warn(
    '[web] ORIGIN is not set (nor PROTOCOL_HEADER/HOST_HEADER): SvelteKit will assume https://<host>; ' +
      'set ORIGIN=http://localhost:' + env.PORT + ' when serving plain http.'
  );
}

const handlerUrl = new URL('../build/handler.js', import.meta.url);
if (!existsSync(fileURLToPath(handlerUrl))) {
  console.error(`[web] ${fileURLToPath(handlerUrl)} not found: run \`npm run build\` first.`);
  process.exit(1);
}
const { handler } = (await import(handlerUrl.href)) as { handler: NodeHandler };

const db = createDb(env.DATABASE_URL, { max: 5, applicationName: 'crosslink-web-realtime' });
const server = http.createServer((req, res) =>
  handler(req, res, () => {
    res.statusCode = 404;
    res.end('Not found');
  })
);
const realtime = await attachSocketServer(server, {
  db,
  redisUrl: env.REDIS_URL,
  prefix: env.REDIS_PREFIX,
  allowedOrigins: env.ORIGIN ? [env.ORIGIN] : []
});

server.listen(env.PORT, env.HOST, () => {
  const address = server.address();
  const where = typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address);
  console.info(`[web] listening on http://${where} (socket.io at /socket.io)`);
});
server.on('error', (err) => {
  console.error('[web] http server:', err.message);
  process.exit(1);
});

const shutdownTimeoutMs = (Number(process.env.SHUTDOWN_TIMEOUT) || 30) * 1000;
let shuttingDown = false;
async function shutdown(signal: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.info(`[web] ${signal}: shutting down`);
  const force = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs);
  force.unref();
  const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await realtime.close().catch((err) => console.error('[web] closing socket.io:', err.message));
  await httpClosed;
  clearTimeout(force);
  await closeDb(db).catch(() => {});
  console.info('[web] stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
