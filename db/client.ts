/**
 * One pg pool per process and the Drizzle handle over it.
 * `createDb(url)` is explicit (tests make several); processes call it once.
 */
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema';

export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** A transaction handle, accepted wherever a Db is (same query API). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface CreateDbOptions {
  max?: number;
  applicationName?: string;
  /** Where an idle client's error goes (the process's logger); default console. */
  log?: { error(message: string, ...args: unknown[]): void };
}

export function createDb(url: string, options: CreateDbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'crosslink'
  });
  // An idle client erroring (server restart) must not crash the process.
  const log = options.log ?? { error: (message: string, err?: unknown) => console.error(`[db] ${message}`, (err as Error)?.message) };
  pool.on('error', (err) => log.error('idle client error:', err));
  return drizzle(pool, { schema }) as Db;
}

export async function closeDb(db: Db): Promise<void> {
  await db.$client.end();
}

/**
 * `column = any($1::uuid[])`: one array parameter for a list of ids. Drizzle's
 * `inArray` writes one placeholder per id, and a 5,000-card board asks for
 * 5,000 at once (building and sending those placeholders cost more than the
 * query did).
 */
export const inUuids = (column: AnyColumn, ids: readonly string[]): SQL => sql`${column} = any(${sql.param(ids)}::uuid[])`;
