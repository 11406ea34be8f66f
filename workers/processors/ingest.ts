/**
 * `ingest` queue: registers the molecules of an uploaded file, a slice at a
 * time (workers/ingest/pipeline.ts `runImport`: fair turns between imports,
 * at most IMPORT_ORG_CONCURRENCY slices of one organisation at once). The
 * chemistry runs on a worker-thread pool (every core) shared by this
 * process's jobs; this thread streams rows and writes chunks.
 *
 * Postgres is the system of record for imports; Redis (which keeps nothing on
 * disk here) may lose the queue. So at start and every RESUME_EVERY_MS each
 * host enqueues the job for every import that should be running, under the
 * id of where it stands (`ingestJobId`): a job that exists is not added again.
 */
import os from 'node:os';
import { createChemPool, type ChemPool } from '../../chem/pool';
import type { WorkersEnv } from '../../common/env';
import { SYSTEM_USER_ID, ingestJobId } from '../../common/queues';
import { importsToResume } from '../../db/access/ingest';
import { defineProcessor, type ProcessorContext } from '../processor';
import { DEFAULT_SLICING, defaultIngestOptions, runImport, type SliceOptions } from '../ingest/pipeline';

let pool: ChemPool | null = null;
const threads = (env: WorkersEnv) => env.CHEM_THREADS ?? os.availableParallelism();

function chemPool(env: WorkersEnv): ChemPool {
  pool ??= createChemPool({ threads: threads(env) });
  return pool;
}

/** The import settings of the workers' environment (common/env.ts documents them; README lists them). */
function slicing(env: WorkersEnv): SliceOptions {
  return {
    sliceMs: env.IMPORT_SLICE_MS,
    orgSlots: env.IMPORT_ORG_CONCURRENCY,
    expansion: { ...DEFAULT_SLICING.expansion, maxBytes: env.IMPORT_MAX_EXPANDED_BYTES, maxRatio: env.IMPORT_MAX_EXPANSION_RATIO }
  };
}

/** Enqueue the job of every import Postgres says should be running and no worker holds. */
async function resumeImports(ctx: ProcessorContext) {
  if (!ctx.enqueue) return;
  for (const imp of await importsToResume(ctx.db)) {
    await ctx.enqueue(
      'ingest',
      'import',
      { owner: { userId: imp.createdBy ?? SYSTEM_USER_ID, organizationId: imp.organizationId }, importId: imp.id },
      { jobId: ingestJobId(imp) }
    );
  }
}

let resumeTimer: NodeJS.Timeout | null = null;

async function startIngest(ctx: ProcessorContext) {
  const sweep = () =>
    resumeImports(ctx).catch((err: Error) => ctx.log.warn(`ingest: resuming imports from Postgres failed: ${err.message}`));
  await sweep();
  resumeTimer = setInterval(sweep, ctx.env.IMPORT_RESUME_EVERY_MS);
  resumeTimer.unref();
}

/** Called by the worker host on shutdown. */
async function closeIngest() {
  if (resumeTimer) clearInterval(resumeTimer);
  resumeTimer = null;
  await pool?.destroy();
  pool = null;
}

export default defineProcessor(
  'ingest',
  {
    async import(job, ctx, signal) {
      return runImport(
        job,
        {
          db: ctx.db,
          pool: chemPool(ctx.env),
          log: ctx.log,
          options: defaultIngestOptions(threads(ctx.env)),
          slicing: slicing(ctx.env),
          enqueue: ctx.enqueue
        },
        signal
      );
    }
  },
  {
    // Slices of several imports at once (WORKER_CONCURRENCY, default 2) share the
    // thread pool, so a small import does not wait for a slice of a large one.
    // Locks are renewed while a slice runs; a killed process's job is taken
    // over after WORKER_LOCK_DURATION_MS.
    close: closeIngest,
    start: startIngest,
    // Browsers follow an import's slices as one job: the import.
    eventJobId: (data: { importId?: string }) => data?.importId
  }
);
