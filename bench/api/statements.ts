/** The SQL one registry-list request runs, captured from the real code paths (db/auth.ts, db/access/molecules.ts). */
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { listMolecules, type MoleculeQuery } from '../../db/access/molecules';
import { authenticateToken } from '../../db/auth';
import type { Db } from '../../db/client';
import * as schema from '../../db/schema';

export type QueryArgs = unknown[];
/**
 * The statements one list request runs, in waves: statements issued while no
 * earlier one had finished run together (Promise.all in the code) and are
 * replayed together.
 */
export async function captureStatements(databaseUrl: string, token: string, query: MoleculeQuery, pageNumber = 1): Promise<QueryArgs[][]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const waves: QueryArgs[][] = [];
  let completed = 0;
  const original = pool.query.bind(pool) as (...a: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: (...a: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
    (waves[completed] ??= []).push(args);
    try {
      return await original(...args);
    } finally {
      completed++;
    }
  };
  const db = drizzle(pool, { schema }) as unknown as Db;
  const actor = await authenticateToken(db, token);
  await listMolecules(db, actor, query, { page: pageNumber, pageSize: 50 });
  await pool.end();
  return waves.filter(Boolean);
}

