/**
 * The stack Playwright's `webServer` starts (playwright.config.ts): services from
 * DATABASE_URL/REDIS_URL or ensureServices (database `crosslink_test`), migrations, demo data
 * (idempotent seed, so specs can sign in as the demo users), `vite build` if stale, then
 * web + collab + workers on E2E_PORT / E2E_COLLAB_PORT (the collab-server's internal API on
 * E2E_COLLAB_INTERNAL_PORT). SIGTERM/SIGINT: stop all, exit 0.
 * Unlike `npm start`, a crashed child is not restarted: the stack stops with exit 1, so a
 * crash fails the run instead of hiding behind a restart.
 */
import path from 'node:path';
import { runMigrations } from '../db/migrate';
import { seedDemo } from '../db/seed';
import { deleteRedisKeysStartingWith, ensureServices, type Services } from './services';
import { buildWebIfStale, repoRoot, startStack, type Stack } from './start';

// stderr: Playwright shows the webServer's stderr, and hides its stdout unless E2E_VERBOSE=1.
const log = (s: string) => console.error(`[e2e-stack] ${s}`);
const port = Number(process.env.E2E_PORT ?? 4173);
const collabPort = Number(process.env.E2E_COLLAB_PORT ?? 4174);
const collabInternalPort = Number(process.env.E2E_COLLAB_INTERNAL_PORT ?? 4175);

// A prefix of its own per run: counters (login rate limits), queues and socket.io channels
// never carry over between runs, even on a shared external Redis. Deleted again on exit.
const redisPrefix = `${process.env.REDIS_PREFIX ?? 'crosslink-e2e'}-${Date.now().toString(36)}`;

let services: Services | null = null;
let servicesStarting: Promise<Services> | null = null;
let stack: Stack | null = null;
let shuttingDown: Promise<void> | null = null;

function shutdown(code: number, why?: string) {
  shuttingDown ??= (async () => {
    if (why) console.error(`[e2e-stack] ${why}`);
    await stack?.stop().catch((e) => console.error(`[e2e-stack] stopping children: ${e.message}`));
    const s = services ?? (await servicesStarting?.catch(() => null));
    if (s) await deleteRedisKeysStartingWith(s.redisUrl, redisPrefix).catch((e) => console.error(`[e2e-stack] cleaning Redis: ${e.message}`));
    await s?.stop().catch((e) => console.error(`[e2e-stack] stopping services: ${e.message}`));
    process.exit(code);
  })();
  return shuttingDown;
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  servicesStarting = ensureServices({ dataDir: path.join(repoRoot, '.data'), log, database: 'crosslink_test' });
  services = await servicesStarting;
  await runMigrations(services.databaseUrl);
  await seedDemo(services.appDatabaseUrl);
  await buildWebIfStale(log, { quiet: !process.env.E2E_VERBOSE });
  if (!shuttingDown) {
    stack = startStack({
      port,
      collabPort,
      collabInternalPort,
      env: {
        ...services.processEnv(),
        REDIS_PREFIX: redisPrefix,
        // Small enough that the 413 test uploads only a few MB.
        IMPORT_MAX_BYTES: String(8 * 1024 * 1024)
      },
      log,
      onUnexpectedExit: (name, code, signal) =>
        void shutdown(1, `${name} exited unexpectedly (${signal ?? `code ${code}`})`)
    });
    await stack.ready();
    log(`up: ${stack.url}`);
  }
} catch (err) {
  await shutdown(1, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
}
