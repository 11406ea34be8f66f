import { defineConfig } from 'drizzle-kit';

// Only `generate` is used (migrations are committed); the URL is for `drizzle-kit studio`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/crosslink' }
});
