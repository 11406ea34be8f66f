/**
 * Process-wide resources of the web app, created on first use (not at import)
 * so `vite build` can analyse server modules without a database.
 *
 * `closeContext` ends them; web/server.ts calls it on shutdown through
 * `CLOSE_CONTEXT` on globalThis, because it loads the app from build/handler.js,
 * a bundle holding its own copy of this module (importing this file from
 * web/server.ts would give a second, empty copy).
 */
import { Redis } from 'ioredis';
import { logEnvSchema, parseEnv, webEnvSchema, type WebEnv } from '$common/env';
import { createLogger, type AppLogger } from '$common/log';
import { createDb, type Db } from '$db/client';
import { createQueues, type QueueClient } from '$common/queues';

let env: WebEnv | undefined;
let log: AppLogger | undefined;
let db: Db | undefined;
let redis: Redis | undefined;
let queues: QueueClient | undefined;

export function getEnv(): WebEnv {
  env ??= parseEnv(webEnvSchema, 'web');
  return env;
}

/**
 * The web process's logger, or a module's child of it (`getLog('api')`). Reads only
 * the log settings, so an error about the rest of the configuration can still be logged.
 */
export function getLog(module?: string): AppLogger {
  log ??= createLogger('web', parseEnv(logEnvSchema, 'web'));
  return module ? log.child(module) : log;
}

export function getDb(): Db {
  db ??= createDb(getEnv().DATABASE_URL, { applicationName: 'crosslink-web', log: getLog('db') });
  return db;
}

/** General-purpose Redis connection (rate limits, health). */
export function getRedis(): Redis {
  if (!redis) {
    redis = new Redis(getEnv().REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
    redis.on('error', (err) => getLog().error('redis:', err));
  }
  return redis;
}

/** BullMQ producers for every queue in common/queues.ts. */
export function getQueues(): QueueClient {
  queues ??= createQueues(getEnv().REDIS_URL, getEnv().REDIS_PREFIX, { onError: (err, queue) => getLog().error(`queue ${queue}:`, err) });
  return queues;
}

/** End the pool, Redis and the queues (those that were opened); they open again on next use. */
export async function closeContext(): Promise<void> {
  await Promise.allSettled([queues?.close(), db?.$client.end(), redis?.quit()]);
  queues = undefined;
  db = undefined;
  redis = undefined;
}

/** Where web/server.ts finds this copy's closeContext (see the top of this file). */
export const CLOSE_CONTEXT = Symbol.for('crosslink.web.closeContext');
(globalThis as Record<symbol, unknown>)[CLOSE_CONTEXT] = closeContext;
