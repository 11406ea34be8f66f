/**
 * Workers process entry: `tsx workers/index.ts`.
 * Env: DATABASE_URL, REDIS_URL, REDIS_PREFIX, WORKER_CONCURRENCY, LOG_LEVEL, …
 * (common/env.ts `workersEnvSchema`; the parsed env reaches processors as `ctx.env`).
 * SIGTERM/SIGINT stop taking jobs, let running ones finish (cancelled after
 * SHUTDOWN_TIMEOUT seconds), close Redis and the pool, and exit 0. Repeated
 * signals do not restart the shutdown.
 */
import { loadEnv, workersEnvSchema } from '../common/env';
import { closeDb, createDb } from '../db/client';
import { startWorkers } from './host';
import { createLogger } from '../common/log';
import { loadProcessors } from './registry';

async function main() {
  const env = loadEnv(workersEnvSchema, 'workers');
  const log = createLogger('workers', env);
  const db = createDb(env.DATABASE_URL, { applicationName: 'crosslink-workers', log: log.child('db') });

  let host: Awaited<ReturnType<typeof startWorkers>> | undefined;
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    if (shuttingDown) {
      log.info(`${signal}: already shutting down`);
      return;
    }
    log.info(`${signal}: finishing running jobs, then exiting`);
    shuttingDown = (async () => {
      try {
        await host?.close({ timeoutMs: env.SHUTDOWN_TIMEOUT * 1000 });
      } catch (err) {
        log.error(`closing workers: ${(err as Error).message}`);
      }
      await closeDb(db).catch(() => {});
      log.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    const processors = await loadProcessors();
    host = await startWorkers({
      db,
      redisUrl: env.REDIS_URL,
      prefix: env.REDIS_PREFIX,
      concurrency: env.WORKER_CONCURRENCY,
      processors,
      log,
      env
    });
  } catch (err) {
    log.error((err as Error).message);
    await closeDb(db).catch(() => {});
    process.exit(1);
  }
  const running = host.queueNames.map((q) => `${q} (concurrency ${host!.workers.get(q)?.concurrency})`);
  log.info(`processing queues: ${running.join(', ')}; redis prefix "${env.REDIS_PREFIX}"`);
  // A signal that arrived while starting found no host yet: close it now.
  if (shuttingDown) await host.close();
}

main().catch((err) => {
  // Before (or while) the logger exists: the one line that does not go through it.
  console.error('[workers] fatal:', err);
  process.exit(1);
});
