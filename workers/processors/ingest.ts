/**
 * `ingest` queue: registers the molecules of an uploaded file. The chemistry
 * runs on a worker-thread pool (every core) shared by this process's jobs;
 * this thread streams rows and writes chunks. See workers/ingest/pipeline.ts.
 */
import os from 'node:os';
import { createChemPool, type ChemPool } from '../../chem/pool';
import { defineProcessor } from '../processor';
import { defaultIngestOptions, runImport } from '../ingest/pipeline';

let pool: ChemPool | null = null;
const threads = () => Number(process.env.CHEM_THREADS) || os.availableParallelism();

function chemPool(): ChemPool {
  pool ??= createChemPool({ threads: threads() });
  return pool;
}

/** Called by the worker host on shutdown. */
async function closeIngest() {
  await pool?.destroy();
  pool = null;
}

export default defineProcessor(
  'ingest',
  {
    async import(job, ctx, signal) {
      return runImport(job, { db: ctx.db, pool: chemPool(), log: ctx.log, options: defaultIngestOptions(threads()) }, signal);
    }
  },
  // One import at a time per process: it already uses every core. Locks are
  // renewed while it runs; a killed process's job is picked up after ~30 s.
  { concurrency: 1, close: closeIngest }
);
