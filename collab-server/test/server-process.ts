/**
 * A collab-server process for tests that kill one: what index.ts builds, from
 * the same COLLAB_* / DATABASE_URL / REDIS_URL, plus the options a test wants
 * that have no environment variable (TEST_COLLAB_OPTIONS, JSON, e.g.
 * `{"updateLog": false}`). No signal handling: tests SIGKILL it.
 *
 *   node --import tsx collab-server/test/server-process.ts
 */
import { collabEnvSchema, loadEnv } from '../../common/env';
import { createDb } from '../../db/client';
import { createCollabServer, type CollabServerOptions } from '../server';

const env = loadEnv(collabEnvSchema, 'collab-server (test process)');
const extra = JSON.parse(process.env.TEST_COLLAB_OPTIONS ?? '{}') as Partial<Pick<CollabServerOptions, 'updateLog'>>;
const collab = createCollabServer({
  db: createDb(env.DATABASE_URL, { applicationName: 'crosslink-collab-test-process' }),
  redisUrl: env.REDIS_URL,
  redisPrefix: env.REDIS_PREFIX,
  debounceMs: env.COLLAB_DEBOUNCE_MS,
  port: env.COLLAB_PORT,
  host: env.COLLAB_HOST,
  ...extra
});
const { port } = await collab.listen();
console.log(`[collab] listening on ws://${env.COLLAB_HOST}:${port}`);
