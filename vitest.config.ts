/**
 * Two tiers (`npm test` runs both, then Playwright):
 *  - unit:        *.spec.ts next to the code; no database, no Redis.
 *  - integration: <folder>/test/**\/*.test.ts against real PostgreSQL + Redis. The global setup
 *                 starts them (scripts/services.ts) unless DATABASE_URL/REDIS_URL are set, and
 *                 migrates once; test files read process.env.DATABASE_URL / REDIS_URL.
 */
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', 'build/**', '.svelte-kit/**', 'e2e/**', '.data/**'];

export default defineConfig({
  // SvelteKit's plugin resolves $lib, $db, $common, $app and $env for web/ code under test.
  plugins: [sveltekit()],
  test: {
    environment: 'node',
    // 2 cores: more workers only make the integration tier fight over one PostgreSQL.
    maxWorkers: 2,
    exclude,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{common,db,web,collab-server,workers,chem,ingest,scripts}/**/*.spec.ts']
        }
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{db,web,collab-server,workers,ingest}/test/**/*.test.ts'],
          globalSetup: ['scripts/vitest-global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000
        }
      }
    ]
  }
});
