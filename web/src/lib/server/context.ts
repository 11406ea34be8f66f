/**
 * Process-wide resources of the web app, created on first use (not at import)
 * so `vite build` can analyse server modules without a database.
 */
import { Redis } from 'ioredis';
import { parseEnv, webEnvSchema, type WebEnv } from '$common/env';
import { createDb, type Db } from '$db/client';
import { createQueues, type QueueClient } from '$common/queues';

let env: WebEnv | undefined;
let db: Db | undefined;
let redis: Redis | undefined;
let queues: QueueClient | undefined;

export function getEnv(): WebEnv {
  env ??= parseEnv(webEnvSchema, 'web');
  return env;
}

export function getDb(): Db {
  db ??= createDb(getEnv().DATABASE_URL, { applicationName: 'crosslink-web' });
  return db;
}

/** General-purpose Redis connection (rate limits, health). */
export function getRedis(): Redis {
  if (!redis) {
    redis = new Redis(getEnv().REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
    redis.on('error', (err) => console.error('[web] redis:', err.message));
  }
  return redis;
}

/** BullMQ producers for every queue in common/queues.ts. */
export function getQueues(): QueueClient {
  queues ??= createQueues(getEnv().REDIS_URL, getEnv().REDIS_PREFIX);
  return queues;
}

export async function closeContext(): Promise<void> {
  await Promise.allSettled([queues?.close(), db?.$client.end(), redis?.quit()]);
  queues = undefined;
  db = undefined;
  redis = undefined;
}
