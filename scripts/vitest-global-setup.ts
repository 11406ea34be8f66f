/**
 * Integration tier global setup: PostgreSQL + Redis for the test files, migrated once.
 * `npm test` passes DATABASE_URL/REDIS_URL (services already up); a bare `npx vitest`
 * starts its own through ensureServices (database `crosslink_test`).
 * Test files read process.env.DATABASE_URL / REDIS_URL (set here before workers fork; the app
 * role when we start the services), DATABASE_OWNER_URL when they need the owner's rights,
 * or `inject('databaseUrl')` / `inject('redisUrl')`.
 */
import type { TestProject } from 'vitest/node';
import { runMigrations } from '../db/migrate';
import { ensureServices, localAuditCheckpointKey, type Services } from './services';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  let services: Services | null = null;
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    services = await ensureServices({ dataDir: '.data', database: 'crosslink_test' });
    // What it started, or the DATABASE_URL / DATABASE_OWNER_URL / REDIS_URL / key that were set.
    Object.assign(process.env, services.processEnv(), { DATABASE_OWNER_URL: services.databaseUrl });
  }
  // Only DATABASE_URL given: it is the owner too (no role separation, e.g. a superuser URL).
  process.env.DATABASE_OWNER_URL ??= process.env.DATABASE_URL;
  // Tests may share a Redis with a running dev stack: keep their keys apart.
  process.env.REDIS_PREFIX ??= 'crosslink-test';
  process.env.AUDIT_CHECKPOINT_KEY = localAuditCheckpointKey('.data', (s) => console.log(`[services] ${s}`));
  await runMigrations(process.env.DATABASE_OWNER_URL!);
  project.provide('databaseUrl', process.env.DATABASE_URL!);
  project.provide('redisUrl', process.env.REDIS_URL!);
  return async () => {
    await services?.stop();
  };
}
