/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement one registry-list request runs
 * (bench/api/statements.ts), on the bench database:
 *
 *   node --import tsx bench/api/explain.ts [--q TEXT] [--sort KEY] [--filter F] [--page N]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseFilter } from '../../db/access/molecules';
import { createSession } from '../../db/auth';
import { closeDb, createDb } from '../../db/client';
import { ensureServices } from '../../scripts/services';
import { ensureBenchRegistry } from './seed';
import { captureStatements } from './statements';

const root = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const services = await ensureServices({ dataDir: path.join(root, '.data'), database: 'crosslink_bench_api' });
const db = createDb(services.databaseUrl, { max: 2 });
const { userId, organizationId } = await ensureBenchRegistry(db, Number(arg('molecules') ?? 100_000), console.log);
const { token } = await createSession(db, userId, { organizationId, userAgent: 'bench/api explain' });
await closeDb(db);
const filter = arg('filter');
const waves = await captureStatements(
  services.databaseUrl,
  token,
  { q: arg('q') ?? null, structureKey: null, sort: arg('sort') ?? null, filters: filter ? [parseFilter(filter)] : [] },
  Number(arg('page') ?? 1)
);
const pool = new pg.Pool({ connectionString: services.databaseUrl, max: 1 });
for (const [i, wave] of waves.entries()) {
  for (const args of wave) {
    const q = args[0] as string | { text: string; values?: unknown[] };
    const text = typeof q === 'string' ? q : q.text;
    const values = (typeof q === 'string' ? undefined : q.values) ?? (args[1] as unknown[]);
    // The estimated total (more than 10,000 matches) is itself an EXPLAIN: shown as it is.
    if (/^\s*explain/i.test(text)) {
      console.log(`── wave ${i + 1} ──\n${text}\n(the planner's estimate of the total)\n`);
      continue;
    }
    const plan = await pool.query(`explain (analyze, buffers) ${text}`, values);
    console.log(`── wave ${i + 1} ──\n${text}\n${JSON.stringify(values)?.slice(0, 300)}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
  }
}
await pool.end();
await services.stop();
