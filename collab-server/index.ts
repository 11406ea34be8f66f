/**
 * collab-server entry point: `node --import tsx collab-server/index.ts`.
 * Reads COLLAB_* / DATABASE_URL / REDIS_URL (common/env.ts), listens, and on
 * SIGTERM/SIGINT shuts down once: stop accepting, store every document, close
 * Redis, end the pg pool, exit 0 (1 if any step failed or took too long).
 */
import { collabEnvSchema, loadEnv } from '../common/env';
import { createQueues } from '../common/queues';
import { closeDb, createDb } from '../db/client';
import { createCollabServer } from './server';

/** Hard stop if shutdown hangs: longer than the server's own 15 s bound plus closing the pool. */
const SHUTDOWN_DEADLINE_MS = 25_000;

const env = loadEnv(collabEnvSchema, 'collab-server');
const db = createDb(env.DATABASE_URL, { applicationName: 'crosslink-collab' });
// @mentions on boards become notifications through the workers' queue.
const queues = createQueues(env.REDIS_URL, env.REDIS_PREFIX);
const collab = createCollabServer({
  db,
  queues,
  // Cookie sign-in only from the app's own pages (exact origins, against cross-site WebSocket hijacking).
  allowedOrigins: [...(env.ORIGIN ? [env.ORIGIN] : []), ...env.COLLAB_ALLOWED_ORIGINS],
  redisUrl: env.REDIS_URL,
  redisPrefix: env.REDIS_PREFIX,
  debounceMs: env.COLLAB_DEBOUNCE_MS,
  port: env.COLLAB_PORT,
  host: env.COLLAB_HOST
});

let shuttingDown: Promise<void> | null = null;

function shutdown(why: string): Promise<void> {
  shuttingDown ??= (async () => {
    console.log(`[collab] ${why}: shutting down`);
    const deadline = setTimeout(() => {
      console.error(`[collab] shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    let code = 0;
    try {
      await collab.destroy();
      console.log('[collab] documents stored, connections closed');
    } catch (error) {
      code = 1;
      console.error('[collab] shutdown error:', error);
    }
    await queues.close().catch((error) => console.error('[collab] closing the queues failed:', error));
    try {
      await closeDb(db);
    } catch (error) {
      code = 1;
      console.error('[collab] closing the database pool failed:', error);
    }
    process.exit(code);
  })();
  return shuttingDown;
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  const { port } = await collab.listen();
  console.log(`[collab] listening on ws://${env.COLLAB_HOST}:${port}`);
} catch (error) {
  console.error('[collab] could not listen:', error);
  await collab.destroy().catch(() => {});
  await closeDb(db).catch(() => {});
  process.exit(1);
}
