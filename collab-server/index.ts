/**
 * collab-server entry point: `node --import tsx collab-server/index.ts`.
 * Reads COLLAB_* / DATABASE_URL / REDIS_URL (common/env.ts), listens (WebSocket
 * on COLLAB_HOST:COLLAB_PORT, the internal API on COLLAB_INTERNAL_HOST:
 * COLLAB_INTERNAL_PORT), and on SIGTERM/SIGINT shuts down once: stop accepting
 * server-side changes, let those in flight finish, store every document, close
 * Redis, end the pg pool, exit 0 (1 if any step failed or took too long).
 */
import { collabEnvSchema, loadEnv } from '../common/env';
import { createLogger } from '../common/log';
import { createQueues } from '../common/queues';
import { closeDb, createDb } from '../db/client';
import { createInternalApi } from './internal-api';
import { createCollabServer } from './server';

const env = loadEnv(collabEnvSchema, 'collab-server');
const log = createLogger('collab', env);
/** Hard stop if shutdown hangs (SHUTDOWN_TIMEOUT, default 25 s); storing documents gets all but the last 10 s of it. */
const SHUTDOWN_DEADLINE_MS = env.SHUTDOWN_TIMEOUT * 1000;
const db = createDb(env.DATABASE_URL, { applicationName: 'crosslink-collab', log: log.child('db') });
// @mentions on boards become notifications through the workers' queue.
const queues = createQueues(env.REDIS_URL, env.REDIS_PREFIX, { onError: (err, queue) => log.error(`queue ${queue}:`, err) });
const collab = createCollabServer({
  db,
  queues,
  logger: log,
  shutdownTimeoutMs: Math.max(1000, SHUTDOWN_DEADLINE_MS - 10_000),
  // Cookie sign-in only from the app's own pages (exact origins, against cross-site WebSocket hijacking).
  allowedOrigins: [...(env.ORIGIN ? [env.ORIGIN] : []), ...env.COLLAB_ALLOWED_ORIGINS],
  redisUrl: env.REDIS_URL,
  redisPrefix: env.REDIS_PREFIX,
  debounceMs: env.COLLAB_DEBOUNCE_MS,
  port: env.COLLAB_PORT,
  host: env.COLLAB_HOST
});
// Server-side changes from web and workers: a listener of its own, not the public port.
const internal = createInternalApi({
  collab,
  db,
  secret: env.COLLAB_SERVICE_SECRET,
  host: env.COLLAB_INTERNAL_HOST,
  port: env.COLLAB_INTERNAL_PORT,
  logger: log.child('internal-api')
});

let shuttingDown: Promise<void> | null = null;

function shutdown(why: string): Promise<void> {
  shuttingDown ??= (async () => {
    log.info(`${why}: shutting down`);
    const deadline = setTimeout(() => {
      log.error(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    let code = 0;
    try {
      // No new server-side changes; those in flight finish while the documents are still open.
      await internal.close();
      await collab.destroy();
      log.info('documents stored, connections closed');
    } catch (error) {
      code = 1;
      log.error('shutdown error:', error);
    }
    await queues.close().catch((error) => log.error('closing the queues failed:', error));
    try {
      await closeDb(db);
    } catch (error) {
      code = 1;
      log.error('closing the database pool failed:', error);
    }
    process.exit(code);
  })();
  return shuttingDown;
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  // Internal API first: once the public port answers, web and workers can make changes.
  const { url } = await internal.listen();
  log.info(`internal API on ${url}`);
  const { port } = await collab.listen();
  log.info(`listening on ws://${env.COLLAB_HOST}:${port}`);
} catch (error) {
  log.error('could not listen:', error);
  await internal.close().catch(() => {});
  await collab.destroy().catch(() => {});
  await closeDb(db).catch(() => {});
  process.exit(1);
}
