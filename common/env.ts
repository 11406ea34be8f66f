/**
 * Configuration for every process, parsed from `process.env` with zod.
 * A process calls `loadEnv(schema, 'name')` once at start; bad config exits
 * with a readable list of what is wrong instead of failing later in a query.
 */
import { z } from 'zod';
import { DEFAULT_COLLAB_INTERNAL_PORT } from './collab-internal';
import { LOG_FORMATS, LOG_LEVELS } from './log';

const postgresUrl = z
  .string({ error: 'is required (e.g. postgres://user@127.0.0.1:5432/crosslink)' })
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must start with postgres:// or postgresql://');
const redisUrl = z
  .string({ error: 'is required (e.g. redis://127.0.0.1:6379)' })
  .refine((v) => /^rediss?:\/\//.test(v), 'must start with redis:// or rediss://');
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
/**
 * COLLAB_SERVICE_SECRET: the credential web and workers send to the collab-server's internal
 * API (common/collab-internal.ts). The same value in all three; `npm start` and the e2e stack
 * make one per launch when it is not set.
 */
const serviceSecret = z.string().min(32, 'must be at least 32 characters, e.g. `openssl rand -hex 32`');
/** COLLAB_INTERNAL_PORT: the internal API's own port, next to the WebSocket port's default 1234. */
const internalPort = port(DEFAULT_COLLAB_INTERNAL_PORT);
/** SHUTDOWN_TIMEOUT: seconds a process gives running work on SIGTERM/SIGINT (orchestrators usually SIGKILL after 30). */
const shutdownTimeout = (fallback: number) => z.coerce.number().positive().max(3600).default(fallback);

export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** System of record. */
  DATABASE_URL: postgresUrl,
  /** BullMQ queues, socket.io adapter, Hocuspocus Redis extension, rate limits. */
  REDIS_URL: redisUrl,
  /** Prefix for every Redis key we own, so several stacks can share one Redis (tests do). */
  REDIS_PREFIX: z.string().regex(/^[a-z0-9:_-]*$/i).default('crosslink'),
  /** Lines below this level are dropped (common/log.ts). */
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** `json` (pino's JSON lines) or `pretty` (one short line each); default json under NODE_ENV=production. */
  LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
  /** Folder for uploaded import files, shared by web (writes) and workers (read, then delete). */
  UPLOAD_DIR: z.string().min(1).default('.data/uploads'),
  /** Owner of the schema, for migrations (db/migrate.ts); unset: DATABASE_URL migrates too. */
  DATABASE_OWNER_URL: postgresUrl.optional(),
  /**
   * HMAC-SHA256 key signing the audit chain's checkpoints (db/audit.ts), as hex: workers sign,
   * web verifies. Kept out of the database, so whoever can write the database cannot re-sign.
   */
  AUDIT_CHECKPOINT_KEY: z
    .string()
    .regex(/^(?:[0-9a-f]{2}){32,}$/i, 'must be at least 64 hex characters (32 bytes), e.g. `openssl rand -hex 32`')
    .optional()
});

/** Just what the logger reads (common/log.ts), for code that logs before or without the rest. */
export const logEnvSchema = baseEnvSchema.pick({ NODE_ENV: true, LOG_LEVEL: true, LOG_FORMAT: true });

export const webEnvSchema = baseEnvSchema.extend({
  /** HTTP port of the web app (pages, REST API, socket.io). */
  PORT: port(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Public URL of the web app; used for invite links and CSRF origin checks. */
  ORIGIN: z.url().optional(),
  /** WebSocket URL browsers use to reach the collab-server (default: this page's host name, port COLLAB_PORT). */
  PUBLIC_COLLAB_URL: z.string().optional(),
  /** WebSocket port of the collab-server, for the default PUBLIC_COLLAB_URL. */
  COLLAB_PORT: port(1234),
  /** Where the web app sends server-side document changes (the collab-server's internal API); default http://127.0.0.1:COLLAB_INTERNAL_PORT. */
  COLLAB_INTERNAL_URL: z.url().optional(),
  COLLAB_INTERNAL_PORT: internalPort,
  /** Unset: server-side board changes (adding cards through the API, restores) answer 503. */
  COLLAB_SERVICE_SECRET: serviceSecret.optional(),
  /** Largest accepted request body in bytes on the import upload routes (adapter-node); must exceed IMPORT_MAX_BYTES. */
  BODY_SIZE_LIMIT: z.coerce.number().int().positive().default(520 * 1024 * 1024),
  /** Largest request body in bytes on every other route (413 above it, before reading it). */
  REQUEST_BODY_LIMIT: z.coerce.number().int().positive().default(1024 * 1024),
  /** Largest import file accepted, in bytes (413 above it). */
  IMPORT_MAX_BYTES: z.coerce.number().int().positive().default(512 * 1024 * 1024),
  /** Seconds in-flight requests may take to finish after SIGTERM before their connections are cut. */
  SHUTDOWN_TIMEOUT: shutdownTimeout(30)
});

export const collabEnvSchema = baseEnvSchema.extend({
  /** WebSocket port of the collab-server. */
  COLLAB_PORT: port(1234),
  COLLAB_HOST: z.string().default('0.0.0.0'),
  /** Interface of the internal API (server-side changes from web and workers); keep it off the public network. */
  COLLAB_INTERNAL_HOST: z.string().default('127.0.0.1'),
  COLLAB_INTERNAL_PORT: internalPort,
  /** Required: without it nobody could call the internal API, so the server refuses to start. */
  COLLAB_SERVICE_SECRET: serviceSecret,
  /**
   * Milliseconds Hocuspocus waits after the last change before storing a
   * document (at the latest every 10 s while it keeps changing). Hocuspocus's
   * own default: a store is a Postgres transaction with projection, history
   * and audit, and at 500 ms busy boards stored four times as often, which
   * was most of the server's CPU under load (README, Performance).
   */
  COLLAB_DEBOUNCE_MS: z.coerce.number().int().min(0).default(2000),
  /** The web app's public URL: its pages may connect with the session cookie. */
  ORIGIN: z.url().optional(),
  /**
   * Comma-separated page origins allowed to connect with the session cookie,
   * besides ORIGIN (e.g. the app served under a second URL). Nothing else is,
   * not even another port of the same host.
   */
  COLLAB_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  /** Seconds shutdown may take (storing every document) before the process exits 1; stores get all but the last 10. */
  SHUTDOWN_TIMEOUT: shutdownTimeout(25)
});

export const workersEnvSchema = baseEnvSchema.extend({
  /** Jobs one worker process runs at once per queue. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Threads computing chemistry (RDKit) in a worker process; default: every core. */
  CHEM_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  /** BullMQ job lock (ms); a killed worker's job is retried after about this long. Default 30000. */
  WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1000).optional(),
  /** How often (ms) workers look for stalled jobs. Default 30000. */
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).optional(),
  /** An import job works this long (ms) before handing the rest to a new job at the back of the queue. */
  IMPORT_SLICE_MS: z.coerce.number().int().min(100).default(10_000),
  /** Import slices one organisation runs at once, over all worker processes. */
  IMPORT_ORG_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** A compressed import may expand to at most this many bytes. */
  IMPORT_MAX_EXPANDED_BYTES: z.coerce.number().int().positive().default(2 * 1024 ** 3),
  /** …and to at most this many times its compressed size (checked past 16 MB). */
  IMPORT_MAX_EXPANSION_RATIO: z.coerce.number().positive().default(100),
  /** How often (ms) workers re-enqueue imports Postgres says are unfinished (Redis may have lost them). */
  IMPORT_RESUME_EVERY_MS: z.coerce.number().int().min(1000).default(60_000),
  /** The collab-server's internal API (imports into a library add their cards through it); default http://127.0.0.1:COLLAB_INTERNAL_PORT. */
  COLLAB_INTERNAL_URL: z.url().optional(),
  COLLAB_INTERNAL_PORT: internalPort,
  /** Unset: imports into a library are imported but not added (the import says why). */
  COLLAB_SERVICE_SECRET: serviceSecret.optional(),
  /** Seconds running jobs may take to finish after SIGTERM before they are cancelled. */
  SHUTDOWN_TIMEOUT: shutdownTimeout(25)
});

export type BaseEnv = z.infer<typeof baseEnvSchema>;
export type WebEnv = z.infer<typeof webEnvSchema>;
export type CollabEnv = z.infer<typeof collabEnvSchema>;
export type WorkersEnv = z.infer<typeof workersEnvSchema>;

export class ConfigError extends Error {
  constructor(
    readonly processName: string,
    readonly problems: string[]
  ) {
    super(`${processName}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parse `source` against `schema`; throws ConfigError listing every bad variable. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  processName: string,
  source: Record<string, string | undefined> = process.env
): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(env)'} ${i.message}`);
  throw new ConfigError(processName, problems);
}

/** Like parseEnv, but prints the problems and exits: for process entry points. */
export function loadEnv<S extends z.ZodType>(schema: S, processName: string): z.infer<S> {
  try {
    return parseEnv(schema, processName);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`\n${err.message}\nSee README.md "Configuration".\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
