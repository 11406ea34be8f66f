/**
 * Gives `vite dev` (and `vite preview`) the same socket.io server as
 * production (web/server.ts), attached to Vite's own HTTP server:
 *
 *   // vite.config.ts
 *   import { realtimeDevServer } from './web/realtime/vite-plugin';
 *   plugins: [sveltekit(), realtimeDevServer()]
 *
 * Only active when DATABASE_URL and REDIS_URL are set (process env or .env
 * files); otherwise the app runs without realtime and says so once.
 */
import type { Server as HttpServer } from 'node:http';
import { loadEnv as viteLoadEnv, type Plugin, type PreviewServer, type ViteDevServer } from 'vite';
import { baseEnvSchema, parseEnv } from '../../common/env';
import { createLogger } from '../../common/log';
import { closeDb, createDb } from '../../db/client';
import { attachSocketServer } from './socket-server';

export function realtimeDevServer(): Plugin {
  const attach = async (server: ViteDevServer | PreviewServer) => {
    const logger = server.config.logger;
    const httpServer = server.httpServer as HttpServer | null;
    if (!httpServer) {
      logger.warn('[realtime] Vite runs in middleware mode: socket.io not attached');
      return;
    }
    const fileEnv = viteLoadEnv(server.config.mode, server.config.envDir || process.cwd(), '');
    const source = { ...fileEnv, ...process.env };
    if (!source.DATABASE_URL || !source.REDIS_URL) {
      logger.info('[realtime] DATABASE_URL/REDIS_URL not set: socket.io disabled for this dev server');
      return;
    }
    const env = parseEnv(baseEnvSchema, 'web (vite)', source);
    const log = createLogger('web', env).child('realtime');
    const db = createDb(env.DATABASE_URL, { max: 3, applicationName: 'crosslink-web-realtime-dev', log });
    const realtime = await attachSocketServer(httpServer, {
      db,
      redisUrl: env.REDIS_URL,
      prefix: env.REDIS_PREFIX,
      allowedOrigins: source.ORIGIN ? [source.ORIGIN] : [],
      // Vite's HMR WebSocket shares this server: leave upgrades that are not ours alone.
      serverOptions: { destroyUpgrade: false },
      log
    });
    httpServer.once('close', () => {
      void realtime.close().finally(() => closeDb(db).catch(() => {}));
    });
    logger.info(`[realtime] socket.io attached at /socket.io (redis prefix "${env.REDIS_PREFIX}")`);
  };
  return {
    name: 'crosslink-realtime',
    configureServer: attach,
    configurePreviewServer: attach
  };
}
